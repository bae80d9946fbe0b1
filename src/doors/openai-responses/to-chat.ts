/**
 * Responses request → the Chat Completions request the gateway already translates to Converse
 * (translate/openai-to-converse.ts), so both OpenAI doors share one set of rules for content parts, tools,
 * reasoning effort, response formats and inference settings. Pure: reasoning items arrive already opened
 * (their signed thinking blocks in `blocks`), earlier turns already loaded.
 */
import type { ReasoningContentBlock } from "../../bedrock/converse-types";
import { GatewayError } from "../../errors";
import type { AssistantMessage, ChatCompletionRequest, ChatMessage, ContentPart, ThinkingBlock, ToolDefinition } from "../../translate/openai-types";
import type { FunctionCallItem, InputItem, MessageItem, ResponsesContentPart, ResponsesRequest, ResponsesTool } from "./schema";

/** An input item with what the gateway knows about it: a reasoning item's opened thinking blocks. */
export type ContextItem = InputItem & { blocks?: ReasoningContentBlock[] };

export type ChatPlan = {
  chat: ChatCompletionRequest;
  /** For each chat message, the input item it came from (`input[3]`, `instructions`), and whether it maps 1:1. */
  sources: { param: string; exact: boolean }[];
  warnings: string[];
};

/**
 * Fields OpenAI accepts that change nothing here, or change what OpenAI does in ways Bedrock has no control
 * for: accepted, and named in a warning header when they would have changed the answer.
 */
const WARN_IF_SET: Record<string, (v: unknown) => boolean> = {
  service_tier: (v) => v !== null && v !== undefined && v !== "auto" && v !== "default",
  truncation: (v) => v === "auto",
  max_tool_calls: (v) => v !== null && v !== undefined,
  top_logprobs: (v) => typeof v === "number" && v > 0,
};

/** The only `include` value with an effect: reasoning items carry their sealed thinking blocks. */
export const ENCRYPTED_REASONING = "reasoning.encrypted_content";

/** Builds the chat request. `items` is the whole context: earlier turns (previous_response_id) and this input. */
export function toChatRequest(req: ResponsesRequest, items: ContextItem[], inputOffset: number): ChatPlan {
  const warnings: string[] = [];
  rejectUnsupported(req);
  for (const [field, changes] of Object.entries(WARN_IF_SET)) {
    if (changes((req as Record<string, unknown>)[field])) warnings.push(`${field} ignored: not supported on Bedrock`);
  }
  if (req.text?.verbosity) warnings.push("text.verbosity ignored: not supported on Bedrock");
  for (const inc of req.include ?? []) if (inc !== ENCRYPTED_REASONING) warnings.push(`include '${inc}' ignored: not supported by this gateway`);

  const messages: ChatMessage[] = [];
  const sources: ChatPlan["sources"] = [];
  if (req.instructions) {
    messages.push({ role: "system", content: req.instructions });
    sources.push({ param: "instructions", exact: false });
  }
  convertItems(items, inputOffset, messages, sources);
  if (messages.every((m) => m.role === "system" || m.role === "developer")) {
    throw GatewayError.invalidRequest("input", "The request has no input: send `input` (a string or items), or `previous_response_id` with new input.");
  }

  const chat: ChatCompletionRequest = { model: req.model, messages };
  if (req.stream) chat.stream = true;
  if (req.max_output_tokens != null) chat.max_completion_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  if (req.reasoning?.effort) chat.reasoning_effort = req.reasoning.effort;
  const tools = toChatTools(req.tools ?? []);
  if (tools.length > 0) chat.tools = tools;
  const choice = toChatToolChoice(req.tool_choice, warnings);
  if (choice !== undefined) chat.tool_choice = choice;
  const format = req.text?.format;
  if (format?.type === "json_schema") {
    chat.response_format = {
      type: "json_schema",
      json_schema: { name: format.name, schema: format.schema, description: format.description, strict: format.strict },
    };
  } else if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  return { chat, sources, warnings };
}

function rejectUnsupported(req: ResponsesRequest): void {
  const r = req as Record<string, unknown>;
  if (req.background) throw GatewayError.invalidRequest("background", "Background responses are not supported by this gateway.");
  if (r.conversation != null)
    throw GatewayError.invalidRequest("conversation", "Conversations are not supported by this gateway: use previous_response_id or send the whole input.");
  if (r.prompt != null) throw GatewayError.invalidRequest("prompt", "Prompt templates are not supported by this gateway.");
}

function toChatTools(tools: ResponsesTool[]): ToolDefinition[] {
  return tools.map((t, i) => {
    if (t.type !== "function") {
      throw GatewayError.invalidRequest(
        `tools[${i}].type`,
        `The tool type '${t.type}' is not supported by this gateway: only 'function' tools are.`,
        "unsupported_tool_type",
      );
    }
    if (!t.name) throw GatewayError.invalidRequest(`tools[${i}].name`, "Function tools need a name.");
    return { type: "function", function: { name: t.name, description: t.description, parameters: t.parameters, strict: t.strict } };
  });
}

function toChatToolChoice(tc: ResponsesRequest["tool_choice"], warnings: string[]): ChatCompletionRequest["tool_choice"] {
  if (tc == null) return undefined;
  if (typeof tc === "string") return tc;
  if (tc.type === "function") {
    if (!tc.name) throw GatewayError.invalidRequest("tool_choice.name", "tool_choice of type 'function' needs a name.");
    return { type: "function", function: { name: tc.name } };
  }
  if (tc.type === "allowed_tools") {
    warnings.push("tool_choice.tools ignored: every tool stays allowed");
    return (tc as { mode?: unknown }).mode === "required" ? "required" : "auto";
  }
  throw GatewayError.invalidRequest(
    "tool_choice.type",
    `The tool type '${tc.type}' is not supported by this gateway: only 'function' tools are.`,
    "unsupported_tool_type",
  );
}

type Pending = { msg: AssistantMessage; parts: ContentPart[]; param: string; items: number };

function convertItems(items: ContextItem[], offset: number, out: ChatMessage[], sources: ChatPlan["sources"]): void {
  let pending: Pending | null = null;
  const flush = () => {
    if (!pending) return;
    if (pending.parts.length > 0) pending.msg.content = pending.parts;
    out.push(pending.msg);
    sources.push({ param: pending.param, exact: pending.items === 1 });
    pending = null;
  };
  const assistant = (param: string): Pending => {
    if (!pending) pending = { msg: { role: "assistant", content: null }, parts: [], param, items: 0 };
    pending.items++;
    return pending;
  };
  items.forEach((item, k) => {
    const param = k >= offset ? `input[${k - offset}]` : "previous_response_id";
    switch (item.type) {
      case "reasoning": {
        // Reasoning opens an assistant turn: after earlier text or calls it starts the next one.
        if (pending && (pending.parts.length > 0 || pending.msg.tool_calls?.length)) flush();
        const p = assistant(param);
        const blocks = toThinkingBlocks(item.blocks ?? []);
        if (blocks.length > 0) p.msg.thinking_blocks = [...(p.msg.thinking_blocks ?? []), ...blocks];
        return;
      }
      case "function_call": {
        const p = assistant(param);
        p.msg.tool_calls = [...(p.msg.tool_calls ?? []), toToolCall(item)];
        return;
      }
      case "function_call_output":
        flush();
        out.push({
          role: "tool",
          tool_call_id: item.call_id,
          content: typeof item.output === "string" ? item.output : toChatParts(item.output, `${param}.output`),
        });
        sources.push({ param: `${param}.output`, exact: false });
        return;
      default: {
        const m = item as MessageItem;
        if (m.role === "assistant") {
          const p = assistant(param);
          p.parts.push(...(typeof m.content === "string" ? [{ type: "text" as const, text: m.content }] : toChatParts(m.content, `${param}.content`)));
          return;
        }
        flush();
        const content = typeof m.content === "string" ? m.content : toChatParts(m.content, `${param}.content`);
        out.push({ role: m.role, content } as ChatMessage);
        sources.push({ param, exact: true });
      }
    }
  });
  flush();
}

function toToolCall(item: FunctionCallItem) {
  // A call with no input may come back with empty arguments; the chat translator reads them as JSON.
  return { id: item.call_id, type: "function" as const, function: { name: item.name, arguments: item.arguments === "" ? "{}" : item.arguments } };
}

function toChatParts(parts: ResponsesContentPart[], param: string): ContentPart[] {
  return parts.map((p, j): ContentPart => {
    switch (p.type) {
      case "input_text":
      case "output_text":
        return { type: "text", text: p.text };
      case "refusal":
        return { type: "refusal", refusal: p.refusal };
      case "input_image":
        if (!p.image_url) {
          throw GatewayError.invalidRequest(`${param}[${j}].file_id`, "file_id is not supported (this gateway has no Files API): send the image as image_url.");
        }
        return { type: "image_url", image_url: { url: p.image_url, detail: p.detail } };
      case "input_file":
        if (p.file_url)
          throw GatewayError.invalidRequest(`${param}[${j}].file_url`, "file_url is not fetched by this gateway: send the file inline as file_data.");
        return { type: "file", file: { file_data: p.file_data, filename: p.filename, file_id: p.file_id } };
      default: {
        const _never: never = p;
        return _never;
      }
    }
  });
}

/** Converse reasoning blocks → the thinking blocks the chat translator accepts on assistant messages. */
export function toThinkingBlocks(blocks: ReasoningContentBlock[]): ThinkingBlock[] {
  return blocks.map(
    (b): ThinkingBlock =>
      "redactedContent" in b
        ? { type: "redacted_thinking", data: b.redactedContent }
        : { type: "thinking", thinking: b.reasoningText.text, signature: b.reasoningText.signature },
  );
}

const RENAMES: [RegExp, string][] = [
  [/\bmax_completion_tokens\b/g, "max_output_tokens"],
  [/\breasoning_effort\b/g, "reasoning.effort"],
  [/\bresponse_format\.json_schema\b/g, "text.format"],
  [/\bresponse_format\b/g, "text.format"],
  [/\btools\[(\d+)\]\.function\./g, "tools[$1]."],
  [/\btool_choice\.function\./g, "tool_choice."],
];

/** Chat field names in a message or param → the Responses names the client sent. */
export function renameFields(text: string): string {
  return RENAMES.reduce((s, [re, to]) => s.replace(re, to), text);
}

/** A chat translator's error, re-addressed to the Responses request (`messages[2].content[0]` → `input[1].content[0]`). */
export function readdressError(err: GatewayError, sources: ChatPlan["sources"]): GatewayError {
  let param = err.param;
  const m = param ? /^messages\[(\d+)\](.*)$/.exec(param) : null;
  if (m) {
    const src = sources[Number(m[1])];
    if (src) param = src.exact ? `${src.param}${m[2]}` : src.param;
  } else if (param) param = renameFields(param);
  const message = renameFields(err.message).replace(/messages\[(\d+)\]/g, (all, i) => sources[Number(i)]?.param ?? all);
  return new GatewayError({ status: err.status, type: err.type, code: err.code, param, message, retryAfter: err.retryAfter, headers: err.headers, cause: err });
}
