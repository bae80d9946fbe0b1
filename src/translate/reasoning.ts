/**
 * `reasoning_effort` → Claude extended thinking (`additionalModelRequestFields.thinking`) or Bedrock's native
 * `outputConfig.effort`, as the catalogue says; and reasoning blocks sent back by clients.
 */
import type { OutputConfig, ReasoningContentBlock } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import type { ReasoningEffort, ThinkingBlock } from "./openai-types";

/** Anthropic's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
/** Room left for the visible answer when maxTokens has to grow to fit the thinking budget. */
export const THINKING_OUTPUT_ROOM = 4096;

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
 * Fits the thinking budget under maxTokens (Anthropic: budget_tokens < max_tokens). When it does not fit, maxTokens
 * grows to budget + THINKING_OUTPUT_ROOM (capped at the model's maximum); if it still does not fit, the budget
 * shrinks (keeping answer room), never below MIN_THINKING_BUDGET. Returns null when thinking is impossible within the model's maximum.
 */
export function fitThinkingBudget(budget: number, maxTokens: number, model: ModelEntry, warnings: string[]): { budget: number; maxTokens: number } | null {
  if (budget < maxTokens) return { budget, maxTokens };
  const raised = Math.min(budget + THINKING_OUTPUT_ROOM, model.maxOutputTokens);
  // Shrinking keeps answer room too (at most half of maxTokens), else the answer would get a token or two.
  const room = Math.min(THINKING_OUTPUT_ROOM, Math.floor(raised / 2));
  const fitted = Math.min(budget, Math.max(MIN_THINKING_BUDGET, raised - room));
  if (fitted >= raised) return null;
  if (raised !== maxTokens) warnings.push(`max tokens raised from ${maxTokens} to ${raised} to fit the thinking budget`);
  if (fitted !== budget) warnings.push(`thinking budget lowered from ${budget} to ${fitted} to fit the model's output limit`);
  return { budget: fitted, maxTokens: raised };
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
