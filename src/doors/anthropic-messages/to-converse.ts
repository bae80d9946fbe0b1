/**
 * Anthropic Messages request → Converse request, for models that are not Claude (Nova, Llama, Mistral…). Blocks map
 * one to one onto Converse content (text, base64 image and document, tool_use/tool_result with `is_error` as status
 * `error`, thinking as reasoningContent, cache_control as cachePoint); runs of same-role messages are merged and
 * ordered as Bedrock requires (translate/turns.ts). What these models cannot take (extended thinking, top_k,
 * forced tools on models without tool choice) is dropped with a warning; what cannot be sent at all (image URLs,
 * server tools) is a 400 naming the field. Pure.
 */
import type {
  ContentBlock,
  ConverseRequest,
  DocumentFormat,
  ImageFormat,
  SystemContentBlock,
  Tool,
  ToolChoice,
  ToolResultContentBlock,
} from "../../bedrock/converse-types";
import type { ModelEntry } from "../../catalogue";
import { GatewayError } from "../../errors";
import { appendCachePoint, limitCachePoints, MAX_CACHE_POINTS } from "../../translate/cache-points";
import type { Turn } from "../../translate/messages";
import { toConverseMessages } from "../../translate/turns";
import type { CacheControl } from "../../translate/openai-types";
import type { InputBlock, MessagesRequest } from "./schema";
import { usesTools } from "./to-invoke-body";

export type ConverseTranslation = { body: ConverseRequest; warnings: string[] };

type Ctx = { model: ModelEntry; warnings: string[]; docs: number };

const IMAGE_FORMATS: Record<string, ImageFormat> = { "image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp" };
const DOCUMENT_FORMATS: Record<string, DocumentFormat> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/csv": "csv",
  "text/html": "html",
  "text/markdown": "md",
};

const cc = (b: { cache_control?: unknown }) => (b.cache_control ?? null) as CacheControl | null;

function imageBlock(b: Extract<InputBlock, { type: "image" }>, param: string): ContentBlock {
  if (b.source.type !== "base64")
    throw GatewayError.invalidRequest(`${param}.source`, "Image URLs cannot be fetched for this model: send the image as base64.");
  const format = IMAGE_FORMATS[b.source.media_type];
  if (!format) throw GatewayError.invalidRequest(`${param}.source.media_type`, `Unsupported image type '${b.source.media_type}': use png, jpeg, gif or webp.`);
  return { image: { format, source: { bytes: b.source.data } } };
}

function documentBlock(b: Extract<InputBlock, { type: "document" }>, param: string, ctx: Ctx): ContentBlock {
  // Bedrock wants a unique name of letters, digits, spaces, hyphens and brackets per document.
  const name = `${
    (b.title ?? "")
      .replace(/[^A-Za-z0-9\-()[\] ]+/g, " ")
      .replace(/\s+/g, " ")
      .trim() || "document"
  } ${++ctx.docs}`;
  const s = b.source;
  if (s.type === "text") return { document: { format: "txt", name, source: { text: s.data } } };
  if (s.type === "content") {
    const text = typeof s.content === "string" ? s.content : s.content.map((c) => c.text ?? "").join("\n");
    return { document: { format: "txt", name, source: { text } } };
  }
  if (s.type !== "base64") throw GatewayError.invalidRequest(`${param}.source`, "Document URLs cannot be fetched for this model: send the document as base64.");
  const format = DOCUMENT_FORMATS[s.media_type];
  if (!format) throw GatewayError.invalidRequest(`${param}.source.media_type`, `Unsupported document type '${s.media_type}'.`);
  return { document: { format, name, source: { bytes: s.data } } };
}

function resultContent(content: string | InputBlock[] | undefined, param: string, ctx: Ctx): ToolResultContentBlock[] {
  if (content === undefined || content === "") return [];
  if (typeof content === "string") return [{ text: content }];
  return content.flatMap((b, i): ToolResultContentBlock[] => {
    const p = `${param}[${i}]`;
    if (b.type === "text") return (b as { text: string }).text ? [{ text: (b as { text: string }).text }] : [];
    if (b.type === "image") return [imageBlock(b as Extract<InputBlock, { type: "image" }>, p) as { image: never }];
    if (b.type === "document") return [documentBlock(b as Extract<InputBlock, { type: "document" }>, p, ctx) as { document: never }];
    throw GatewayError.invalidRequest(`${p}.type`, `Tool results of type '${b.type}' cannot be sent to this model.`);
  });
}

function contentBlocks(content: string | InputBlock[], param: string, ctx: Ctx): ContentBlock[] {
  if (typeof content === "string") return content.trim() ? [{ text: content }] : [];
  const out: ContentBlock[] = [];
  content.forEach((raw, i) => {
    const p = `${param}[${i}]`;
    const b = raw as InputBlock & { type: string };
    switch (b.type) {
      case "text": {
        const text = (b as { text: string }).text;
        if (text.trim()) out.push({ text });
        break;
      }
      case "image":
        out.push(imageBlock(b as Extract<InputBlock, { type: "image" }>, p));
        break;
      case "document":
        out.push(documentBlock(b as Extract<InputBlock, { type: "document" }>, p, ctx));
        break;
      case "tool_use": {
        const t = b as Extract<InputBlock, { type: "tool_use" }>;
        out.push({ toolUse: { toolUseId: t.id, name: t.name, input: t.input } });
        break;
      }
      case "tool_result": {
        const t = b as Extract<InputBlock, { type: "tool_result" }>;
        const results = resultContent(t.content, `${p}.content`, ctx);
        // Bedrock rejects an error result without content.
        if (t.is_error && results.length === 0) results.push({ text: "error" });
        out.push({ toolResult: { toolUseId: t.tool_use_id, content: results, status: t.is_error ? "error" : "success" } });
        break;
      }
      case "thinking":
      case "redacted_thinking":
        // Thinking belongs to the Claude model that wrote it; these models take none.
        return;
      default:
        throw GatewayError.invalidRequest(`${p}.type`, `Content blocks of type '${b.type}' cannot be sent to this model.`);
    }
    appendCachePoint(out, cc(b), ctx.model.caching);
  });
  return out;
}

function systemBlocks(system: MessagesRequest["system"], ctx: Ctx): SystemContentBlock[] {
  if (system === undefined) return [];
  if (typeof system === "string") return system.trim() ? [{ text: system }] : [];
  const out: SystemContentBlock[] = [];
  for (const b of system) {
    if (b.text.trim()) out.push({ text: b.text });
    appendCachePoint(out, cc(b), ctx.model.caching);
  }
  return out;
}

function toolConfig(req: MessagesRequest, ctx: Ctx, history: boolean): ConverseRequest["toolConfig"] {
  if (!req.tools?.length) return undefined;
  const choice = req.tool_choice;
  if (choice?.type === "none" && !history) return undefined;
  const tools: Tool[] = [];
  req.tools.forEach((t, i) => {
    if (t.type !== undefined && t.type !== "custom")
      throw GatewayError.invalidRequest(`tools[${i}].type`, `Server tools ('${t.type}') are only available on Claude models.`);
    tools.push({
      toolSpec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: { json: t.input_schema ?? { type: "object" } } },
    });
    appendCachePoint(tools, cc(t), ctx.model.caching);
  });
  let toolChoice: ToolChoice | undefined;
  if (choice?.type === "any" || choice?.type === "tool") {
    if (!ctx.model.toolChoice) ctx.warnings.push(`tool_choice ${choice.type} sent as auto: model '${ctx.model.id}' cannot be forced to call a tool`);
    else toolChoice = choice.type === "any" ? { any: {} } : { tool: { name: choice.name ?? "" } };
  } else if (choice?.type === "auto") toolChoice = { auto: {} };
  return toolChoice ? { tools, toolChoice } : { tools };
}

/** Builds the Converse body of a Messages request for a model that is not Claude. */
export function toConverseFromMessages(req: MessagesRequest, model: ModelEntry): ConverseTranslation {
  const ctx: Ctx = { model, warnings: [], docs: 0 };
  const turns: Turn[] = req.messages.map((m, i) => ({
    role: m.role,
    content: contentBlocks(m.content as string | InputBlock[], `messages[${i}].content`, ctx),
    source: i,
  }));
  const messages = toConverseMessages(turns.filter((t) => t.content.length > 0));
  const body: ConverseRequest = { messages };
  const system = systemBlocks(req.system, ctx);
  if (system.length > 0) body.system = system;
  body.inferenceConfig = { maxTokens: req.max_tokens };
  if (req.temperature !== undefined) body.inferenceConfig.temperature = req.temperature;
  if (req.top_p !== undefined) body.inferenceConfig.topP = req.top_p;
  if (req.stop_sequences?.length) body.inferenceConfig.stopSequences = req.stop_sequences;
  const tc = toolConfig(req, ctx, usesTools(req.messages));
  if (tc) body.toolConfig = tc;
  if (req.top_k !== undefined) ctx.warnings.push(`top_k dropped: model '${model.id}' does not take it through Converse`);
  if (req.thinking && req.thinking.type !== "disabled") ctx.warnings.push(`thinking dropped: model '${model.id}' has no extended thinking`);
  const removed = limitCachePoints(body);
  if (removed > 0) ctx.warnings.push(`${removed} cache point(s) dropped: at most ${MAX_CACHE_POINTS} per request, the last ones kept`);
  return { body, warnings: ctx.warnings };
}
