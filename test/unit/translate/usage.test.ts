import { describe, expect, it } from "vitest";
import { normalizeUsage, toOpenAIUsage } from "../../../src/translate/usage";

describe("normalizeUsage", () => {
  it.each([
    ["plain", { inputTokens: 10, outputTokens: 5, totalTokens: 15 }, { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 }],
    [
      "with cache",
      { inputTokens: 3, outputTokens: 401, totalTokens: 2293, cacheReadInputTokens: 100, cacheWriteInputTokens: 1789 },
      { inputTokens: 3, outputTokens: 401, cacheReadTokens: 100, cacheWriteTokens: 1789 },
    ],
    ["missing", undefined, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }],
    [
      "invalid numbers",
      { inputTokens: -1, outputTokens: Number.NaN, totalTokens: 0 },
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ],
  ])("%s", (_name, input, expected) => {
    expect(normalizeUsage(input)).toEqual(expected);
  });
});

describe("toOpenAIUsage", () => {
  it.each([
    [
      "prompt includes cache read and write (LiteLLM: 3 + 1789 + 401 = 2193)",
      { inputTokens: 3, outputTokens: 401, cacheReadTokens: 0, cacheWriteTokens: 1789 },
      { prompt_tokens: 1792, completion_tokens: 401, total_tokens: 2193, prompt_tokens_details: { cached_tokens: 0 } },
    ],
    [
      "cached_tokens is the cache-read subset",
      { inputTokens: 10, outputTokens: 2, cacheReadTokens: 90, cacheWriteTokens: 0 },
      { prompt_tokens: 100, completion_tokens: 2, total_tokens: 102, prompt_tokens_details: { cached_tokens: 90 } },
    ],
  ])("%s", (_name, input, expected) => {
    expect(toOpenAIUsage(input)).toStrictEqual(expected);
  });
});
