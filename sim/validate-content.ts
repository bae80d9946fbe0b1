/**
 * Per-block checks for Converse content (text, image, document, toolUse, toolResult, reasoning, cachePoint).
 * Two message styles, as real Bedrock has two layers: the AWS front end's constraint errors
 * ("1 validation error detected: ... at 'messages.1.member.content.2.member.image.format'", 1-based member paths)
 * and Bedrock's own semantic errors (0-based paths such as "messages.0.content.1").
 */
import { modelValidation, validation } from "./errors";
import type { SimModel } from "./models";
import { isObj, type Obj } from "./wire";

const IMAGE_FORMATS = ["gif", "jpeg", "png", "webp"];
const DOCUMENT_FORMATS = ["csv", "doc", "docx", "html", "md", "pdf", "txt", "xls", "xlsx"];
const MAX_IMAGE_BYTES = 3.75 * 1024 * 1024;
const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;
/** DocumentBlock.name: alphanumerics, whitespace (never two in a row), hyphens, parentheses, square brackets. Underscores are accepted by the live service. */
const DOCUMENT_NAME = /^[A-Za-z0-9_\-()[\]\s]+$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_.:-]{1,64}$/;
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Where a block sits: 0-based for Bedrock's messages, 1-based "member" path for constraint errors. */
export type Where = { path: string; member: string; role: "user" | "assistant" };

export type ContentTally = { images: number; documents: string[]; cachePoints: number; hasText: boolean; hasDocument: boolean };

export function constraint(value: unknown, member: string, rule: string) {
  const shown = typeof value === "string" ? `'${value}'` : value === undefined ? "null" : `'${JSON.stringify(value)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}

function decodeBase64(b64: unknown, where: string): Buffer {
  if (typeof b64 !== "string" || !BASE64.test(b64)) throw validation(`The value at ${where} is not valid base64-encoded data.`);
  return Buffer.from(b64, "base64");
}

function matchesFormat(bytes: Buffer, format: string): boolean {
  switch (format) {
    case "png":
      return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    case "jpeg":
      return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    case "gif":
      return bytes.subarray(0, 4).toString("latin1") === "GIF8";
    case "webp":
      return bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP";
    default:
      return false;
  }
}

export function checkImage(image: unknown, at: Where, model: SimModel): void {
  if (!model.vision) throw validation("This model doesn't support the image content block that you provided. Try again with a supported model.");
  if (at.role === "assistant") throw modelValidation(`${at.path}: 'image' blocks are not permitted within assistant turns.`);
  const img = isObj(image) ? image : {};
  if (!IMAGE_FORMATS.includes(img.format as string)) {
    throw constraint(img.format, `${at.member}.image.format`, `Member must satisfy enum value set: [${IMAGE_FORMATS.join(", ")}]`);
  }
  const source = isObj(img.source) ? img.source : {};
  if (isObj(source.s3Location)) return;
  const bytes = decodeBase64(source.bytes, `${at.path}.image.source.bytes`);
  if (bytes.length > MAX_IMAGE_BYTES) throw validation(`The image at ${at.path} is ${bytes.length} bytes, which exceeds the maximum of 3.75 MB.`);
  if (!matchesFormat(bytes, img.format as string)) throw modelValidation("The provided image does not match the specified image format.");
}

export function checkDocument(doc: unknown, at: Where, model: SimModel): string {
  if (!model.documents) throw validation("This model doesn't support the document content block that you provided. Try again with a supported model.");
  if (at.role === "assistant") throw modelValidation(`${at.path}: 'document' blocks are not permitted within assistant turns.`);
  const d = isObj(doc) ? doc : {};
  if (typeof d.name !== "string" || d.name.length < 1 || d.name.length > 200) {
    throw constraint(d.name, `${at.member}.document.name`, "Member must have length less than or equal to 200 and greater than or equal to 1");
  }
  if (!DOCUMENT_NAME.test(d.name) || /\s\s/.test(d.name)) {
    throw validation(
      "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character.",
    );
  }
  if (d.format !== undefined && !DOCUMENT_FORMATS.includes(d.format as string)) {
    throw constraint(d.format, `${at.member}.document.format`, `Member must satisfy enum value set: [${DOCUMENT_FORMATS.join(", ")}]`);
  }
  const source = isObj(d.source) ? d.source : {};
  if (typeof source.text === "string" || isObj(source.s3Location)) return d.name;
  const bytes = decodeBase64(source.bytes, `${at.path}.document.source.bytes`);
  if (bytes.length > MAX_DOCUMENT_BYTES) throw validation(`The document at ${at.path} is ${bytes.length} bytes, which exceeds the maximum of 4.5 MB.`);
  return d.name;
}

function checkToolUse(tu: unknown, at: Where): void {
  if (at.role === "user") throw validation("User messages cannot contain tool uses. Please remove the tool uses and try again.");
  const t = isObj(tu) ? tu : {};
  if (typeof t.toolUseId !== "string" || !TOOL_USE_ID.test(t.toolUseId)) {
    throw constraint(t.toolUseId, `${at.member}.toolUse.toolUseId`, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+");
  }
  if (typeof t.name !== "string" || !TOOL_NAME.test(t.name)) {
    throw constraint(t.name, `${at.member}.toolUse.name`, "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+");
  }
  if (!isObj(t.input)) throw modelValidation(`${at.path}.tool_use.input: Input should be a valid dictionary`);
}

function checkToolResult(tr: unknown, at: Where, model: SimModel, tally: ContentTally): void {
  if (at.role === "assistant") throw validation("Assistant messages cannot contain tool results. Please remove the tool results and try again.");
  const t = isObj(tr) ? tr : {};
  if (typeof t.toolUseId !== "string" || !TOOL_USE_ID.test(t.toolUseId)) {
    throw constraint(t.toolUseId, `${at.member}.toolResult.toolUseId`, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+");
  }
  if (!Array.isArray(t.content)) throw constraint(undefined, `${at.member}.toolResult.content`, "Member must not be null");
  if (t.status !== undefined && t.status !== "success" && t.status !== "error") {
    throw constraint(t.status, `${at.member}.toolResult.status`, "Member must satisfy enum value set: [success, error]");
  }
  if (t.status === "error" && t.content.length === 0) {
    throw validation(`The content field at ${at.path}.toolResult cannot be empty when status value is error.`);
  }
  t.content.forEach((c: unknown, k: number) => {
    const inner: Where = { path: `${at.path}.toolResult.content.${k}`, member: `${at.member}.toolResult.content.${k + 1}.member`, role: "user" };
    const block = isObj(c) ? c : {};
    if (block.image !== undefined) checkImage(block.image, inner, model);
    else if (block.document !== undefined) tally.documents.push(checkDocument(block.document, inner, model));
    else if (block.text === undefined && block.json === undefined)
      throw validation(`The toolResult content block at ${inner.path} is empty or of an unsupported type.`);
  });
}

function checkCachePoint(cp: unknown, member: string): void {
  const c = isObj(cp) ? cp : {};
  if (c.type !== "default") throw constraint(c.type, `${member}.cachePoint.type`, "Member must satisfy enum value set: [default]");
  if (c.ttl !== undefined && c.ttl !== "5m" && c.ttl !== "1h")
    throw constraint(c.ttl, `${member}.cachePoint.ttl`, "Member must satisfy enum value set: [5m, 1h]");
}

const KNOWN = [
  "text",
  "image",
  "document",
  "toolUse",
  "toolResult",
  "reasoningContent",
  "cachePoint",
  "guardContent",
  "video",
  "audio",
  "citationsContent",
  "searchResult",
];

/** Validates one message content block and records what it holds in `tally`. */
export function checkBlock(block: unknown, at: Where, model: SimModel, tally: ContentTally): void {
  const b: Obj = isObj(block) ? block : {};
  const members = Object.keys(b).filter((k) => b[k] !== undefined && b[k] !== null);
  if (members.length !== 1 || !KNOWN.includes(members[0]!)) {
    throw validation(`The ContentBlock object at ${at.path} must set exactly one supported member, found: [${members.join(", ")}].`);
  }
  const kind = members[0]!;
  if (kind === "text") {
    if (typeof b.text !== "string") throw constraint(b.text, `${at.member}.text`, "Member must be a string");
    if (b.text.trim() === "") throw validation(`The text field in the ContentBlock object at ${at.path} is blank. Add text to the text field, and try again.`);
    tally.hasText = true;
  } else if (kind === "image") {
    checkImage(b.image, at, model);
    tally.images++;
  } else if (kind === "document") {
    tally.documents.push(checkDocument(b.document, at, model));
    tally.hasDocument = true;
  } else if (kind === "toolUse") checkToolUse(b.toolUse, at);
  else if (kind === "toolResult") checkToolResult(b.toolResult, at, model, tally);
  else if (kind === "cachePoint") {
    checkCachePoint(b.cachePoint, at.member);
    tally.cachePoints++;
  } else if (kind === "reasoningContent") {
    const r = isObj(b.reasoningContent) ? b.reasoningContent : {};
    const text = isObj(r.reasoningText) ? r.reasoningText.text : undefined;
    if (typeof text !== "string" && typeof r.redactedContent !== "string") {
      throw validation(`The reasoningContent block at ${at.path} must contain reasoningText or redactedContent.`);
    }
  } else if (kind !== "guardContent") {
    throw validation(`The ${kind} content block at ${at.path} isn't supported by this model. Remove it and try again.`);
  }
}

export { checkCachePoint };
