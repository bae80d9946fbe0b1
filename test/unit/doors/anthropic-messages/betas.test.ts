import { describe, expect, it } from "vitest";
import { bedrockBetas } from "../../../../src/doors/anthropic-messages/betas";

describe("bedrockBetas", () => {
  it.each([
    [
      "Claude Code's header on Sonnet 4.5",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      ["claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"],
      ["interleaved-thinking-2025-05-14"],
    ],
    ["1M context on Sonnet 4.5", "anthropic.claude-sonnet-4-5-20250929-v1:0", ["context-1m-2025-08-07"], ["context-1m-2025-08-07"]],
    ["1M context is not Opus's", "us.anthropic.claude-opus-4-5-20251101-v1:0", ["context-1m-2025-08-07, effort-2025-11-24"], ["effort-2025-11-24"]],
    [
      "128k output on Claude 3.7",
      "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      ["output-128k-2025-02-19", "interleaved-thinking-2025-05-14"],
      ["output-128k-2025-02-19"],
    ],
    [
      "duplicates and spaces",
      "global.anthropic.claude-haiku-4-5-20251001-v1:0",
      [" interleaved-thinking-2025-05-14 ,interleaved-thinking-2025-05-14", ""],
      ["interleaved-thinking-2025-05-14"],
    ],
    ["models without betas", "anthropic.claude-3-haiku-20240307-v1:0", ["interleaved-thinking-2025-05-14"], []],
  ])("%s", (_label, model, requested, expected) => {
    expect(bedrockBetas(model, requested)).toEqual(expected);
  });
});
