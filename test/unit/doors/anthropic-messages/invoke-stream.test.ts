import { describe, expect, it } from "vitest";
import { createInvokeStreamTranslator, type InvokeStreamEvent } from "../../../../src/doors/anthropic-messages/invoke-stream";
import { GatewayError } from "../../../../src/errors";

const chunk = (event: object): InvokeStreamEvent => ({ type: "chunk", body: { bytes: Buffer.from(JSON.stringify(event)).toString("base64") } });

const START = {
  type: "message_start",
  message: {
    id: "msg_bdrk_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content: [],
    usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 },
  },
};
const BODY = [
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Héllo 😀" } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } },
];
const METRICS = {
  inputTokenCount: 13,
  outputTokenCount: 10,
  invocationLatency: 5,
  firstByteLatency: 2,
  cacheReadInputTokenCount: 5,
  cacheWriteInputTokenCount: 1,
};

describe("createInvokeStreamTranslator", () => {
  it("relays Anthropic's events in order, names the client's model, adds a ping and strips Bedrock's metrics", () => {
    const t = createInvokeStreamTranslator({ model: "claude-sonnet-4-5" });
    const out = [START, ...BODY, { type: "message_stop", "amazon-bedrock-invocationMetrics": METRICS }].flatMap((e) => t.push(chunk(e)));
    expect(out.map((e) => e.type)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect((out[0]!.message as { model: string }).model).toBe("claude-sonnet-4-5");
    expect(out[3]).toEqual(BODY[1]);
    expect(out.at(-1)).toEqual({ type: "message_stop" });
    expect(t.finish()).toEqual([]);
  });

  it.each([
    ["Bedrock's invocation metrics win", true, { inputTokens: 13, outputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 1 }],
    ["without them, message_start and message_delta", false, { inputTokens: 12, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 0 }],
  ])("usage: %s", (_label, withMetrics, usage) => {
    const t = createInvokeStreamTranslator({ model: "m" });
    for (const e of [START, ...BODY, withMetrics ? { type: "message_stop", "amazon-bedrock-invocationMetrics": METRICS } : { type: "message_stop" }])
      t.push(chunk(e));
    expect(t.state.usage).toEqual(usage);
    expect(t.state.stopReason).toBe("end_turn");
  });

  it("a stream without message_stop is truncated, with an output estimate for the row", () => {
    const t = createInvokeStreamTranslator({ model: "m" });
    for (const e of [START, BODY[0]!, BODY[1]!]) t.push(chunk(e));
    expect(() => t.finish()).toThrow(GatewayError);
    expect(t.state.usage).toBeNull();
    expect(t.state.estimatedOutputTokens).toBeGreaterThan(0);
  });

  it.each([
    ["no bytes", { type: "chunk", body: {} }],
    ["bytes that are not JSON", { type: "chunk", body: { bytes: Buffer.from("nope").toString("base64") } }],
    ["JSON without a type", chunk({ hello: 1 })],
  ])("%s is a 502 upstream_invalid_response", (_label, e) => {
    const t = createInvokeStreamTranslator({ model: "m" });
    expect(() => t.push(e as InvokeStreamEvent)).toThrow(expect.objectContaining({ status: 502, code: "upstream_invalid_response" }));
  });
});
