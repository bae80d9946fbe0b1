/**
 * Bedrock `stopReason` → Anthropic `stop_reason` (https://docs.anthropic.com/en/api/messages: end_turn,
 * max_tokens, stop_sequence, tool_use, pause_turn, refusal, model_context_window_exceeded). Exhaustive over the
 * service model's enum; a guardrail or content filter is Anthropic's `refusal`, malformed output an `end_turn`.
 */
import type { StopReason } from "../../bedrock/converse-types";

export function toAnthropicStopReason(reason: StopReason | string | null | undefined): string {
  const r = reason as StopReason;
  switch (r) {
    case "end_turn":
    case "tool_use":
    case "max_tokens":
    case "stop_sequence":
    case "model_context_window_exceeded":
      return r;
    case "guardrail_intervened":
    case "content_filtered":
      return "refusal";
    case "malformed_model_output":
    case "malformed_tool_use":
      return "end_turn";
    default: {
      const _unknown: never = r;
      void _unknown;
      return "end_turn";
    }
  }
}

/**
 * Converse does not say which stop sequence matched; with one in the request it can only be that one (Anthropic's
 * `stop_sequence` field), otherwise null.
 */
export function matchedStopSequence(stopReason: string, stopSequences: readonly string[] | undefined): string | null {
  return stopReason === "stop_sequence" && stopSequences?.length === 1 ? stopSequences[0]! : null;
}
