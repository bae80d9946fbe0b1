/**
 * OpenAI `messages` → Converse `system` + `messages`: system and developer messages become system blocks, tool
 * messages toolResult blocks in a user turn, assistant tool calls toolUse blocks. Each OpenAI message becomes one
 * turn here; turns.ts then merges and orders them.
 */
import type { ContentBlock, ReasoningContentBlock, SystemContentBlock, ToolResultContentBlock } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import { GatewayError } from "../errors";
import { appendCachePoint } from "./cache-points";
import { newPartCounters, toDocumentBlock, toImageBlock, type PartCounters } from "./content-parts";
import type { AssistantMessage, ChatMessage, ContentPart } from "./openai-types";
import { clientReasoningBlocks } from "./reasoning";
import { TOOL_NAME, toBedrockToolUseId } from "./tool-ids";

export type MessageContext = {
  model: ModelEntry;
  /** Extended thinking requested: attach reasoning blocks to assistant turns. */
  thinking: boolean;
  reasoningFor(toolCallId: string): ReasoningContentBlock[] | undefined;
};

/** One OpenAI message after conversion; `source` is its index in the request (for error params). */
export type Turn = { role: "user" | "assistant"; content: ContentBlock[]; source: number };

export type ConvertedMessages = { system: SystemContentBlock[]; turns: Turn[] };

type State = {
  ctx: MessageContext;
  counters: PartCounters;
  /** Calls of the latest assistant turn, for legacy `role: "function"` results that carry only a name. */
  pendingCalls: { id: string; name: string }[];
};

const isBlank = (s: string) => s.trim() === "";

/** Converts every message; throws GatewayError.invalidRequest naming the offending field. */
export function convertMessages(messages: ChatMessage[], ctx: MessageContext): ConvertedMessages {
  const system: SystemContentBlock[] = [];
  const turns: Turn[] = [];
  const st: State = { ctx, counters: newPartCounters(), pendingCalls: [] };
  messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        systemBlocks(m.content, `messages[${i}]`, ctx.model.caching, system);
        appendCachePoint(system, m.cache_control, ctx.model.caching);
        return;
      case "user":
        return push(turns, "user", userBlocks(m.content, m.cache_control, i, st), i);
      case "assistant":
        return push(turns, "assistant", assistantBlocks(m, i, st), i);
      case "tool":
        return push(turns, "user", toolResultBlocks(toBedrockToolUseId(m.tool_call_id), m.content, m.cache_control, i, st), i);
      case "function":
        return push(turns, "user", toolResultBlocks(matchFunctionCall(m.name, i, st), m.content ?? "", null, i, st), i);
      default: {
        const _never: never = m;
        return _never;
      }
    }
  });
  return { system, turns };
}

function push(turns: Turn[], role: Turn["role"], content: ContentBlock[], source: number): void {
  // A turn of only cache points / reasoning has nothing for the model to read: drop it (OpenCode sends empty assistants).
  if (content.some((b) => !("cachePoint" in b) && !("reasoningContent" in b))) turns.push({ role, content, source });
}

function systemBlocks(content: string | ContentPart[], param: string, caching: boolean, out: SystemContentBlock[]): void {
  if (typeof content === "string") {
    if (!isBlank(content)) out.push({ text: content });
    return;
  }
  content.forEach((part, j) => {
    if (part.type !== "text") {
      throw GatewayError.invalidRequest(`${param}.content[${j}]`, `System and developer messages accept only text parts, not '${part.type}'.`);
    }
    if (!isBlank(part.text)) out.push({ text: part.text });
    appendCachePoint(out, part.cache_control, caching);
  });
}

function userBlocks(content: string | ContentPart[], cc: ContentPart["cache_control"], i: number, st: State): ContentBlock[] {
  const { model } = st.ctx;
  const out: ContentBlock[] = [];
  if (typeof content === "string") {
    if (!isBlank(content)) out.push({ text: content });
  } else {
    content.forEach((part, j) => {
      const param = `messages[${i}].content[${j}]`;
      switch (part.type) {
        case "text":
          if (!isBlank(part.text)) out.push({ text: part.text });
          break;
        case "refusal":
          if (!isBlank(part.refusal)) out.push({ text: part.refusal });
          break;
        case "image_url":
          if (!model.vision) throw GatewayError.invalidRequest(param, `Model '${model.id}' does not accept images.`);
          out.push(toImageBlock(part.image_url.url, param, st.counters));
          break;
        case "file":
          if (!model.documents) throw GatewayError.invalidRequest(param, `Model '${model.id}' does not accept documents.`);
          out.push(toDocumentBlock(part.file, param, st.counters));
          break;
        case "input_audio":
          throw GatewayError.invalidRequest(param, "Audio input is not supported by this gateway.");
        default: {
          const _never: never = part;
          return _never;
        }
      }
      appendCachePoint(out, part.cache_control, model.caching);
    });
  }
  appendCachePoint(out, cc, model.caching);
  return out;
}

function assistantBlocks(m: AssistantMessage, i: number, st: State): ContentBlock[] {
  const { model, thinking } = st.ctx;
  const out: ContentBlock[] = [];
  const content = m.content ?? "";
  if (typeof content === "string") {
    if (!isBlank(content)) out.push({ text: content });
  } else {
    content.forEach((part, j) => {
      const text = part.type === "text" ? part.text : part.type === "refusal" ? part.refusal : null;
      if (text === null) {
        throw GatewayError.invalidRequest(`messages[${i}].content[${j}]`, `Assistant messages accept only text and refusal parts, not '${part.type}'.`);
      }
      if (!isBlank(text)) out.push({ text });
      appendCachePoint(out, part.cache_control, model.caching);
    });
  }

  const calls = toolUseBlocks(m, i);
  out.push(...calls);
  st.pendingCalls = calls.map((c) => ({ id: c.toolUse.toolUseId, name: c.toolUse.name }));
  appendCachePoint(out, m.cache_control, model.caching);

  if (thinking) {
    // Client-sent blocks win (LiteLLM/Anthropic round-trip); else what the gateway kept for this turn's first call.
    let reasoning = clientReasoningBlocks(m.thinking_blocks);
    const firstId = m.tool_calls?.[0]?.id;
    if (reasoning.length === 0 && firstId !== undefined) reasoning = st.ctx.reasoningFor(firstId) ?? [];
    out.unshift(...reasoning.map((r) => ({ reasoningContent: r })));
  }
  return out;
}

type ToolUse = Extract<ContentBlock, { toolUse: unknown }>;

function toolUseBlocks(m: AssistantMessage, i: number): ToolUse[] {
  const calls = (m.tool_calls ?? []).map((c, k) => ({ ...c, param: `messages[${i}].tool_calls[${k}]` }));
  // Legacy `function_call` has no id: mint a stable one from the message index.
  if (m.function_call) calls.push({ id: `call_fn_${i}`, function: m.function_call, param: `messages[${i}].function_call` });
  return calls.map((c) => {
    if (!TOOL_NAME.test(c.function.name)) {
      throw GatewayError.invalidRequest(`${c.param}.function.name`, "Tool names must match ^[a-zA-Z0-9_-]{1,64}$.");
    }
    return {
      toolUse: { toolUseId: toBedrockToolUseId(c.id), name: c.function.name, input: parseArguments(c.function.arguments, `${c.param}.function.arguments`) },
    };
  });
}

/** `""` → `{}` (clients send it for argument-less calls); anything but a JSON object is rejected. */
function parseArguments(args: string, param: string): Record<string, unknown> {
  if (isBlank(args)) return {};
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    throw GatewayError.invalidRequest(param, "Tool call arguments must be a JSON object; this is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw GatewayError.invalidRequest(param, "Tool call arguments must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function matchFunctionCall(name: string, i: number, st: State): string {
  const k = st.pendingCalls.findIndex((c) => c.name === name);
  if (k < 0) throw GatewayError.invalidRequest(`messages[${i}].name`, `No preceding assistant call to function '${name}' for this function message.`);
  return st.pendingCalls.splice(k, 1)[0]!.id;
}

/**
 * Tool output → a toolResult block (plus its cache point). Text only, as OpenAI allows; an empty result becomes
 * `content: []` (never a blank text block, which Bedrock rejects). JSON-looking text stays text.
 */
function toolResultBlocks(toolUseId: string, content: string | ContentPart[], cc: ContentPart["cache_control"], i: number, st: State): ContentBlock[] {
  const result: ToolResultContentBlock[] = [];
  let cache = cc;
  if (typeof content === "string") {
    if (!isBlank(content)) result.push({ text: content });
  } else {
    content.forEach((part, j) => {
      if (part.type !== "text") {
        throw GatewayError.invalidRequest(`messages[${i}].content[${j}]`, `Tool messages accept only text parts, not '${part.type}'.`);
      }
      if (!isBlank(part.text)) result.push({ text: part.text });
      cache ??= part.cache_control;
    });
  }
  const out: ContentBlock[] = [{ toolResult: { toolUseId, content: result } }];
  appendCachePoint(out, cache, st.ctx.model.caching);
  return out;
}
