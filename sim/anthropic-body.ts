/**
 * Claude's InvokeModel body (Anthropic's Messages shape with Bedrock's differences), checked the way Bedrock
 * checks it, then read as the simulator's Converse view so the Converse validation and reply rules apply unchanged:
 * - not JSON, an unknown top-level key (`model`, `stream`…) or a missing `anthropic_version` / `max_tokens` is
 *   "Malformed input request: #: …" (Bedrock's JSON-schema wording); `anthropic_version` must be bedrock-2023-05-31;
 * - `anthropic_beta` entries must be flags Bedrock knows ("invalid beta flag");
 * - blocks: text, image and document (base64), tool_use, tool_result (is_error → status error), thinking
 *   (signature required, checked like reasoningContent), redacted_thinking; cache_control → a cachePoint after
 *   the block; top_k, thinking and anthropic_beta → additionalModelRequestFields, where the thinking rules read them.
 */
import { modelValidation, validation } from "./errors";
import { isObj, type Block, type ConverseBody, type Obj, type SystemBlock, type ToolEntry } from "./wire";

const KEYS = new Set([
  "anthropic_version",
  "anthropic_beta",
  "max_tokens",
  "system",
  "messages",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "stop_sequences",
  "thinking",
  "metadata",
  "output_config",
]);
/** Beta flags Bedrock's Claude body accepts (Bedrock's Claude Messages reference). */
const BETAS = new Set([
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "token-efficient-tools-2025-02-19",
  "interleaved-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "dev-full-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
]);

const malformed = (detail: string) => validation(`Malformed input request: ${detail}, please reformat your input and try again.`);

function cachePoint(b: Obj): Block | undefined {
  const cc = b.cache_control;
  if (!isObj(cc)) return undefined;
  return { cachePoint: cc.ttl === "1h" || cc.ttl === "5m" ? { type: "default", ttl: cc.ttl } : { type: "default" } };
}

function source(s: unknown, where: string): { format: string; bytes?: string; text?: string } {
  const src = isObj(s) ? s : {};
  if (src.type === "base64") return { format: String(src.media_type ?? "").split("/")[1] ?? "", bytes: String(src.data ?? "") };
  if (src.type === "text") return { format: "txt", text: String(src.data ?? "") };
  throw modelValidation(`${where}.source: Input tag '${String(src.type)}' found using 'type' does not match any of the expected tags: 'base64', 'text'`);
}

function toBlock(raw: unknown, where: string, docs: { n: number }): Block {
  const b = isObj(raw) ? raw : {};
  switch (b.type) {
    case "text":
      return { text: b.text as string };
    case "image": {
      const s = source(b.source, where);
      return { image: { format: s.format, source: { bytes: s.bytes } } };
    }
    case "document": {
      const s = source(b.source, where);
      const format = s.format === "plain" ? "txt" : s.format;
      return { document: { format, name: `document ${++docs.n}`, source: s.text !== undefined ? { text: s.text } : { bytes: s.bytes } } };
    }
    case "tool_use":
      return { toolUse: { toolUseId: b.id as string, name: b.name as string, input: b.input } };
    case "tool_result": {
      const c = b.content;
      const content = typeof c === "string" ? [{ text: c }] : Array.isArray(c) ? c.map((x, k) => toBlock(x, `${where}.content.${k}`, docs) as never) : [];
      return { toolResult: { toolUseId: b.tool_use_id as string, content, status: b.is_error === true ? "error" : "success" } };
    }
    case "thinking":
      if (typeof b.signature !== "string") throw modelValidation(`${where}.thinking.signature: Field required`);
      return { reasoningContent: { reasoningText: { text: String(b.thinking ?? ""), signature: b.signature } } };
    case "redacted_thinking":
      return { reasoningContent: { redactedContent: String(b.data ?? "") } };
    default:
      throw modelValidation(
        `${where}: Input tag '${String(b.type)}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'`,
      );
  }
}

function toContent(content: unknown, where: string, docs: { n: number }): Block[] {
  if (typeof content === "string") return [{ text: content }];
  if (!Array.isArray(content)) throw malformed(`${where}: expected type: JSONArray, found: ${typeof content}`);
  return content.flatMap((raw, j) => {
    const block = toBlock(raw, `${where}.${j}`, docs);
    const cp = cachePoint(isObj(raw) ? raw : {});
    return cp ? [block, cp] : [block];
  });
}

function toSystem(system: unknown): SystemBlock[] | undefined {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system === "" ? [] : [{ text: system }];
  if (!Array.isArray(system)) throw malformed("#/system: expected type: String or JSONArray");
  return system.flatMap((raw) => {
    const b = isObj(raw) ? raw : {};
    const cp = cachePoint(b);
    return [{ text: b.text as string }, ...(cp ? [cp as SystemBlock] : [])];
  });
}

function toToolConfig(tools: unknown, choice: unknown): ConverseBody["toolConfig"] {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) throw malformed("#/tools: expected type: JSONArray");
  const entries: ToolEntry[] = tools.flatMap((raw) => {
    const t = isObj(raw) ? raw : {};
    const spec = {
      name: t.name as string,
      ...(t.description !== undefined ? { description: t.description as string } : {}),
      inputSchema: { json: t.input_schema as Obj },
    };
    const cp = cachePoint(t);
    return [{ toolSpec: spec }, ...(cp ? [cp as ToolEntry] : [])];
  });
  if (choice === undefined) return { tools: entries };
  const c = isObj(choice) ? choice : {};
  if (c.type === "auto") return { tools: entries, toolChoice: { auto: {} } };
  if (c.type === "any") return { tools: entries, toolChoice: { any: {} } };
  if (c.type === "tool") return { tools: entries, toolChoice: { tool: { name: c.name as string } } };
  throw modelValidation(`tool_choice: Input tag '${String(c.type)}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool'`);
}

/** Checks a Claude InvokeModel body and returns it as the simulator's Converse view. */
export function readAnthropicBody(raw: unknown): ConverseBody {
  if (!isObj(raw)) throw malformed("#: expected type: JSONObject");
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) throw malformed(`#: extraneous key [${k}] is not permitted`);
  if (raw.anthropic_version === undefined) throw malformed("#: required key [anthropic_version] not found");
  if (raw.anthropic_version !== "bedrock-2023-05-31")
    throw malformed(`#/anthropic_version: ${JSON.stringify(raw.anthropic_version)} is not a valid enum value`);
  if (raw.max_tokens === undefined) throw malformed("#: required key [max_tokens] not found");
  if (typeof raw.max_tokens !== "number" || !Number.isInteger(raw.max_tokens) || raw.max_tokens < 1) {
    throw malformed(`#/max_tokens: expected minimum: 1, found: ${JSON.stringify(raw.max_tokens)}`);
  }
  const beta = raw.anthropic_beta;
  if (beta !== undefined && (!Array.isArray(beta) || beta.some((b) => !BETAS.has(String(b))))) throw validation("invalid beta flag");
  if (raw.metadata !== undefined) {
    const extra = isObj(raw.metadata) ? Object.keys(raw.metadata).find((k) => k !== "user_id") : "metadata";
    if (extra) throw malformed(`#/metadata: extraneous key [${extra}] is not permitted`);
  }
  if (!Array.isArray(raw.messages)) throw malformed("#: required key [messages] not found");
  const docs = { n: 0 };
  const body: ConverseBody = {
    messages: raw.messages.map((m, i) => {
      const msg = isObj(m) ? m : {};
      return { role: msg.role as "user", content: toContent(msg.content, `messages.${i}.content`, docs) };
    }),
    inferenceConfig: { maxTokens: raw.max_tokens },
  };
  const inf = body.inferenceConfig!;
  if (raw.temperature !== undefined) inf.temperature = raw.temperature as number;
  if (raw.top_p !== undefined) inf.topP = raw.top_p as number;
  if (raw.stop_sequences !== undefined) inf.stopSequences = raw.stop_sequences as string[];
  const system = toSystem(raw.system);
  if (system?.length) body.system = system;
  const tc = toToolConfig(raw.tools, raw.tool_choice);
  if (tc) body.toolConfig = tc;
  const fields: Obj = {};
  if (raw.top_k !== undefined) fields.top_k = raw.top_k;
  if (raw.thinking !== undefined) fields.thinking = raw.thinking;
  if (beta !== undefined) fields.anthropic_beta = beta;
  if (Object.keys(fields).length > 0) body.additionalModelRequestFields = fields;
  return body;
}
