/**
 * Bedrock `stopReason` → OpenAI `finish_reason` (`stop`, `length`, `tool_calls`, `content_filter`). Exhaustive over the service model's enum;
 * anything Bedrock adds later, or a missing reason, falls back to `stop`.
 */
import type { StopReason } from "../bedrock/converse-types";
import type { FinishReason } from "./openai-types";

/** Maps a Converse stop reason to an OpenAI finish reason; unknown or missing reasons give `stop`. */
export function mapStopReason(reason: StopReason | string | null | undefined): FinishReason {
  const r = reason as StopReason;
  switch (r) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    // The output was cut by a token limit: OpenAI's meaning of `length`.
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    // No OpenAI equivalent; the raw reason stays available to the caller for usage/audit.
    case "malformed_model_output":
    case "malformed_tool_use":
      return "stop";
    default: {
      const _unknown: never = r;
      void _unknown;
      return "stop";
    }
  }
}
