/**
 * `reasoning_effort` → Claude extended thinking (`additionalModelRequestFields.thinking`) or Bedrock's native
 * `outputConfig.effort`, as the catalogue says; and reasoning blocks sent back by clients.
 */
import type { OutputConfig, ReasoningContentBlock } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import type { ReasoningEffort, ThinkingBlock } from "./openai-types";

/** Anthropic's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
/** Room kept for the visible answer beside the thinking budget (half of maxTokens when that is less). */
export const THINKING_OUTPUT_ROOM = 4096;
/** The least room for the answer that makes thinking worth it: with less, thinking is turned off. */
export const MIN_ANSWER_ROOM = 256;

export type ReasoningPlan = { kind: "none" } | { kind: "thinking"; budget: number } | { kind: "effort"; effort: NonNullable<OutputConfig["effort"]> };

const EFFORT: Record<Exclude<ReasoningEffort, "none">, NonNullable<OutputConfig["effort"]>> = {
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "xhigh",
};

/** Decides how `reasoning_effort` is honoured for `model`; pushes a warning when it cannot be. */
export function planReasoning(effort: ReasoningEffort | null | undefined, model: ModelEntry, warnings: string[]): ReasoningPlan {
  if (!effort || effort === "none") return { kind: "none" };
  switch (model.reasoning) {
    case "claude-thinking":
      // The catalogue has no xhigh budget; high is Claude's largest preset.
      return { kind: "thinking", budget: model.thinkingBudget[effort === "xhigh" ? "high" : effort] };
    case "output-effort":
      return { kind: "effort", effort: EFFORT[effort] };
    case "none":
      warnings.push(`reasoning_effort ignored: model '${model.id}' has no reasoning control`);
      return { kind: "none" };
    default: {
      const _never: never = model.reasoning;
      return _never;
    }
  }
}

/**
 * Fits the thinking budget under maxTokens. Anthropic requires budget_tokens >= 1024 and budget_tokens < max_tokens
 * (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size),
 * and thinking counts against max_tokens, as reasoning counts against OpenAI's `max_completion_tokens`.
 * - A limit the client set is kept: the budget shrinks to leave room for the answer, never below the minimum.
 * - Without one, maxTokens (the catalogue default) grows to budget + THINKING_OUTPUT_ROOM, capped at the model's
 *   maximum, and the budget shrinks only if that cap is too small.
 * Returns null when maxTokens cannot hold the minimum budget plus MIN_ANSWER_ROOM: thinking is then turned off.
 */
export function fitThinkingBudget(
  budget: number,
  limit: { maxTokens: number; clientSet: boolean },
  model: ModelEntry,
  warnings: string[],
): { budget: number; maxTokens: number } | null {
  const maxTokens = limit.clientSet ? limit.maxTokens : Math.min(model.maxOutputTokens, Math.max(limit.maxTokens, budget + THINKING_OUTPUT_ROOM));
  if (maxTokens < MIN_THINKING_BUDGET + MIN_ANSWER_ROOM) return null;
  const room = Math.min(THINKING_OUTPUT_ROOM, Math.floor(maxTokens / 2));
  const fitted = Math.max(MIN_THINKING_BUDGET, Math.min(budget, maxTokens - room));
  if (fitted < budget) warnings.push(`thinking budget lowered from ${budget} to ${fitted} tokens to leave room for the answer within ${maxTokens} max tokens`);
  return { budget: fitted, maxTokens };
}

/**
 * Client-sent `thinking_blocks` (LiteLLM/Anthropic style) → Converse reasoning blocks. Unsigned thinking is
 * skipped: Anthropic rejects reasoning text without its signature, and plain `reasoning_content` has none.
 */
export function clientReasoningBlocks(blocks: ThinkingBlock[] | null | undefined): ReasoningContentBlock[] {
  const out: ReasoningContentBlock[] = [];
  for (const b of blocks ?? []) {
    if (b.type === "thinking" && b.signature) out.push({ reasoningText: { text: b.thinking, signature: b.signature } });
    else if (b.type === "redacted_thinking") out.push({ redactedContent: b.data });
  }
  return out;
}
