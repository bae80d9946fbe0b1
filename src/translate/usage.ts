/**
 * Token usage: Bedrock's `TokenUsage` normalised into four buckets, and the OpenAI `usage` object, whose prompt
 * tokens count cache reads and writes too. Cost is computed in integer micro-dollars by usage/cost.ts.
 */
import type { TokenUsage } from "../bedrock/converse-types";
import type { ChatCompletionUsage } from "./openai-types";

/** Bedrock's `inputTokens` excludes cache reads and writes; the buckets are disjoint. */
export type NormalizedUsage = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
};

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/** Normalises a Bedrock `usage` object; missing or invalid counts become 0. */
export function normalizeUsage(usage: Partial<TokenUsage> | null | undefined): NormalizedUsage {
  return {
    inputTokens: count(usage?.inputTokens),
    outputTokens: count(usage?.outputTokens),
    cacheReadTokens: count(usage?.cacheReadInputTokens),
    cacheWriteTokens: count(usage?.cacheWriteInputTokens),
  };
}

/**
 * OpenAI's usage object: `prompt_tokens` counts every input token (plain + cache read + cache write),
 * `cached_tokens` is the cache-read subset. Cache writes have no OpenAI field. `completion_tokens_details`
 * is left out: Bedrock does not report reasoning tokens separately, and a `0` would be wrong with thinking on.
 */
export function toOpenAIUsage(u: NormalizedUsage): ChatCompletionUsage {
  const prompt = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens },
  };
}

/** Rough token count (about 4 characters a token) for usage rows whose stream ended before Bedrock reported usage. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
