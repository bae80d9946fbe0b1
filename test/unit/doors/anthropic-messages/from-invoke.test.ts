import { describe, expect, it } from "vitest";
import { fromInvokeResponse } from "../../../../src/doors/anthropic-messages/from-invoke";

const BODY = {
  id: "msg_bdrk_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content: [{ type: "text", text: "hi" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 3 },
};

describe("fromInvokeResponse", () => {
  it.each([
    [
      "headers win over the body for the row",
      { "x-amzn-bedrock-input-token-count": "11", "x-amzn-bedrock-output-token-count": "4", "x-amzn-bedrock-cache-read-input-token-count": "2" },
      { inputTokens: 11, outputTokens: 4, cacheReadTokens: 2, cacheWriteTokens: 0 },
    ],
    ["the body's usage without headers", {}, { inputTokens: 10, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 }],
  ])("%s", (_label, headers, usage) => {
    const out = fromInvokeResponse(BODY, new Headers(headers), { model: "claude-sonnet-4-5", id: "msg_x" });
    expect(out.usage).toEqual(usage);
    expect(out.message).toMatchObject({ id: "msg_bdrk_1", model: "claude-sonnet-4-5", content: BODY.content, stop_reason: "end_turn" });
    expect(out.message.usage).toEqual({
      input_tokens: 10,
      output_tokens: 3,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: headers["x-amzn-bedrock-cache-read-input-token-count" as never] ? 2 : 0,
    });
  });

  it("a body that is not a message is a 502", () => {
    expect(() => fromInvokeResponse({ nope: true }, new Headers(), { model: "m", id: "x" })).toThrow(expect.objectContaining({ status: 502 }));
  });
});
