/**
 * Input tokens of a Converse request, estimated before the call without serialising it again: rate limits (tpm)
 * and budget reservations need a number before Bedrock reports the real one, and cut streams need one for their row.
 * It errs high: text at three ASCII characters a token and one token per other character; images by Anthropic's
 * rule (width × height / 750 tokens after scaling to at most 1568 px on the long edge, so at most about 1,600);
 * PDF pages at 3,000 tokens each (Anthropic: 1,500–3,000 per page, text plus page image); other documents by
 * their decoded size. Base64 payloads are never counted as text.
 */
import type { ContentBlock, ConverseRequest, DocumentBlock, ImageBlock, ToolResultContentBlock } from "../bedrock/converse-types";

const IMAGE_MAX_TOKENS = 1_600;
const PDF_PAGE_TOKENS = 3_000;

export function textTokens(s: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) ascii++;
    else if (c < 0xdc00 || c > 0xdfff) other++; // a surrogate pair counts once
  }
  return Math.ceil(ascii / 3) + other;
}

const jsonTokens = (v: unknown): number => (v === undefined ? 0 : textTokens(JSON.stringify(v) ?? ""));

/** The first `maxBytes` of a base64 payload as a binary string (one char per byte); empty when it does not decode. */
function base64Binary(b64: string, maxBytes: number): string {
  const chars = Math.min(b64.length, Math.ceil(maxBytes / 3) * 4);
  try {
    return atob(b64.slice(0, chars - (chars % 4)));
  } catch {
    return "";
  }
}

function decodeBase64Prefix(b64: string, maxBytes: number): Uint8Array {
  const bin = base64Binary(b64, maxBytes);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Width and height from an image's header (PNG, GIF, WebP, JPEG), or null when they cannot be read. */
export function imageSize(bytes: Uint8Array): { w: number; h: number } | null {
  const u16be = (i: number) => (bytes[i]! << 8) | bytes[i + 1]!;
  const u16le = (i: number) => bytes[i]! | (bytes[i + 1]! << 8);
  const u32be = (i: number) => ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50) return { w: u32be(16), h: u32be(20) };
  if (bytes.length >= 10 && bytes[0] === 0x47 && bytes[1] === 0x49) return { w: u16le(6), h: u16le(8) };
  if (bytes.length >= 30 && bytes[0] === 0x52 && bytes[8] === 0x57) {
    const kind = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
    if (kind === "VP8 ") return { w: u16le(26) & 0x3fff, h: u16le(28) & 0x3fff };
    if (kind === "VP8L") {
      const b = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24);
      return { w: (b & 0x3fff) + 1, h: ((b >> 14) & 0x3fff) + 1 };
    }
    if (kind === "VP8X") return { w: 1 + (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16)), h: 1 + (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16)) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let i = 2; i + 9 < bytes.length; ) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { w: u16be(i + 7), h: u16be(i + 5) };
      i += 2 + u16be(i + 2);
    }
  }
  return null;
}

/** Anthropic's image token rule, capped; unreadable images count as the cap. */
export function imageTokens(image: ImageBlock): number {
  if (!("bytes" in image.source)) return IMAGE_MAX_TOKENS;
  const size = imageSize(decodeBase64Prefix(image.source.bytes, 64 * 1024));
  if (!size || size.w <= 0 || size.h <= 0) return IMAGE_MAX_TOKENS;
  const scale = Math.min(1, 1568 / Math.max(size.w, size.h));
  return Math.min(IMAGE_MAX_TOKENS, Math.max(1, Math.ceil((size.w * scale * (size.h * scale)) / 750)));
}

export function documentTokens(doc: DocumentBlock): number {
  if ("text" in doc.source) return textTokens(doc.source.text);
  const b64 = doc.source.bytes;
  const bytes = Math.floor((b64.length * 3) / 4);
  if (doc.format === "pdf") {
    const text = base64Binary(b64, bytes + 3);
    const pages = (text.match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
    return Math.max(1, pages) * PDF_PAGE_TOKENS;
  }
  // Plain-text formats are about a token per three bytes; office formats are compressed, so count more.
  return ["txt", "csv", "md", "html"].includes(doc.format ?? "") ? Math.ceil(bytes / 3) : Math.ceil(bytes / 1.5);
}

function resultTokens(b: ToolResultContentBlock): number {
  if ("text" in b) return textTokens(b.text);
  if ("json" in b) return jsonTokens(b.json);
  if ("image" in b) return imageTokens(b.image);
  return documentTokens(b.document);
}

function blockTokens(b: ContentBlock): number {
  if ("text" in b) return textTokens(b.text);
  if ("image" in b) return imageTokens(b.image);
  if ("document" in b) return documentTokens(b.document);
  if ("toolUse" in b) return textTokens(b.toolUse.name) + jsonTokens(b.toolUse.input);
  if ("toolResult" in b) return b.toolResult.content.reduce((n, c) => n + resultTokens(c), 4);
  if ("reasoningContent" in b) {
    const r = b.reasoningContent;
    return "reasoningText" in r ? textTokens(r.reasoningText.text) : Math.ceil(r.redactedContent.length / 4);
  }
  return 0;
}

/** Estimated input tokens of a whole Converse request (messages, system, tools, output schema). */
export function estimateInputTokens(body: ConverseRequest): number {
  let n = 0;
  for (const m of body.messages) {
    n += 4;
    for (const b of m.content) n += blockTokens(b);
  }
  for (const s of body.system ?? []) if ("text" in s) n += textTokens(s.text);
  for (const t of body.toolConfig?.tools ?? []) {
    if ("toolSpec" in t) n += 8 + textTokens(t.toolSpec.name) + textTokens(t.toolSpec.description ?? "") + jsonTokens(t.toolSpec.inputSchema.json);
  }
  const schema = body.outputConfig?.textFormat;
  if (schema) n += jsonTokens(schema);
  return n;
}
