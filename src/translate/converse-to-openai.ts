/**
 * Converse response → `chat.completion`: one choice, text as `content`, toolUse blocks as `tool_calls`, reasoning
 * as `reasoning_content`, and Bedrock's token counts as `usage`.
 */
import type { ConverseResponse, ReasoningContentBlock } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import type { ChatCompletion, ChatCompletionMessage, ChatCompletionMessageToolCall, FinishReason } from "./openai-types";
import { mapStopReason } from "./stop-reason";
import { normalizeUsage, toOpenAIUsage, type NormalizedUsage } from "./usage";

export type CompletionMeta = {
  id: string;
  created: number;
  model: string;
  jsonToolName?: string;
  /** The request used the deprecated `functions`: answer with `function_call` (see `toLegacyFunctionCall`). */
  legacyFunctions?: boolean;
};

export type TranslatedCompletion = {
  completion: ChatCompletion;
  /** Reasoning blocks (with signatures / redacted data) for the gateway to keep for the next turn. */
  reasoning: ReasoningContentBlock[];
  /** Ids of the tool calls returned to the client: the keys under which `reasoning` should be kept. */
  toolCallIds: string[];
  /** Bedrock's raw stop reason, for usage/audit records. */
  stopReason: string | null;
  usage: NormalizedUsage;
};

/**
 * Builds the OpenAI response. Text blocks are concatenated with "" (the only rule consistent with streaming);
 * with `jsonToolName`, that tool's input becomes the content and the finish reason `stop`.
 * Throws a 502 `upstream_invalid_response` when Bedrock answered without an output message.
 */
export function toChatCompletion(res: ConverseResponse, meta: CompletionMeta): TranslatedCompletion {
  const message = res.output?.message;
  if (!message || !Array.isArray(message.content)) {
    throw GatewayError.upstream("Bedrock returned a response without an output message.", "upstream_invalid_response");
  }
  let text = "";
  let reasoningText = "";
  let jsonContent: string | undefined;
  const reasoning: ReasoningContentBlock[] = [];
  const toolCalls: ChatCompletionMessageToolCall[] = [];
  for (const block of message.content) {
    if ("text" in block && typeof block.text === "string") text += block.text;
    else if ("toolUse" in block) {
      const args = JSON.stringify(block.toolUse.input ?? {});
      if (meta.jsonToolName !== undefined && block.toolUse.name === meta.jsonToolName) jsonContent ??= args;
      else toolCalls.push({ id: block.toolUse.toolUseId, type: "function", function: { name: block.toolUse.name, arguments: args } });
    } else if ("reasoningContent" in block) {
      const r = block.reasoningContent;
      if ("reasoningText" in r && r.reasoningText) reasoningText += r.reasoningText.text;
      reasoning.push(r);
    }
  }

  // In JSON mode the tool input is the whole answer; text the model wrote around the call is dropped.
  const content = jsonContent ?? (text !== "" || toolCalls.length === 0 ? text : null);
  const msg: ChatCompletionMessage = { role: "assistant", content, refusal: null };
  const legacyCall = meta.legacyFunctions ? toLegacyFunctionCall(toolCalls) : undefined;
  if (legacyCall) msg.function_call = legacyCall;
  else if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  if (reasoningText !== "") msg.reasoning_content = reasoningText;

  const usage = normalizeUsage(res.usage);
  const stopReason = typeof res.stopReason === "string" ? res.stopReason : null;
  const completion: ChatCompletion = {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      { index: 0, message: msg, logprobs: null, finish_reason: finishReason(stopReason, jsonContent !== undefined, toolCalls.length, meta.legacyFunctions) },
    ],
    usage: toOpenAIUsage(usage),
  };
  // A legacy answer hands the client no call id (its next turn mints `call_fn_<index>`), so nothing could find
  // reasoning kept under Bedrock's ids: none are reported.
  const toolCallIds = meta.legacyFunctions ? [] : toolCalls.map((c) => c.id);
  return { completion, reasoning, toolCallIds, stopReason, usage };
}

/**
 * The legacy functions API carries at most one call per message, and Converse has no switch to stop the model
 * from calling several tools in one turn: the first call is returned and the others are dropped (never run, and
 * absent from the history the client sends back, which Bedrock accepts). The stream translator keeps the same rule.
 */
function toLegacyFunctionCall(calls: ChatCompletionMessageToolCall[]): ChatCompletionMessage["function_call"] {
  const first = calls[0];
  return first ? { name: first.function.name, arguments: first.function.arguments } : undefined;
}

/**
 * JSON-mode answers end with `stop` unless the model also called real tools; legacy-functions answers say
 * `function_call` where others say `tool_calls`. Shared with the stream translator.
 */
export function finishReason(stopReason: string | null, answeredViaJsonTool: boolean, toolCallCount: number, legacyFunctions = false): FinishReason {
  if (answeredViaJsonTool && toolCallCount === 0 && stopReason === "tool_use") return "stop";
  const reason = mapStopReason(stopReason);
  return legacyFunctions && reason === "tool_calls" ? "function_call" : reason;
}
