import { describe, expect, it } from "vitest";
import {
  converseUsage,
  decodeChunkBytes,
  estimateInvokeInput,
  invocationMetricsUsage,
  invokeHeaderUsage,
  invokeMaxOutput,
  newStreamUsage,
  readStreamEvent,
} from "../../../../src/doors/bedrock-native/usage";

const b64 = (v: unknown) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(v))));
const event = (eventType: string, payload: Record<string, unknown>) => ({ messageType: "event", eventType, payload });

describe("converseUsage", () => {
  it.each([
    [
      { usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, cacheReadInputTokens: 3, cacheWriteInputTokens: 2 }, stopReason: "end_turn" },
      { usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 }, stopReason: "end_turn" },
    ],
    [{ stopReason: "max_tokens" }, { usage: null, stopReason: "max_tokens" }],
    [null, { usage: null, stopReason: null }],
    ["text", { usage: null, stopReason: null }],
  ])("%j", (answer, expected) => expect(converseUsage(answer)).toEqual(expected));
});

describe("invokeHeaderUsage", () => {
  it.each<[Record<string, string>, unknown]>([
    [
      { "x-amzn-bedrock-input-token-count": "12", "x-amzn-bedrock-output-token-count": "34" },
      { inputTokens: 12, outputTokens: 34, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ],
    [{ "X-Amzn-Bedrock-Input-Token-Count": "7" }, { inputTokens: 7, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }],
    [
      {
        "x-amzn-bedrock-input-token-count": "1",
        "x-amzn-bedrock-output-token-count": "2",
        "x-amzn-bedrock-cache-read-input-token-count": "3",
        "x-amzn-bedrock-cache-write-input-token-count": "4",
      },
      { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4 },
    ],
    [{}, null],
    [{ "x-amzn-bedrock-input-token-count": "" }, null],
    [{ "x-amzn-bedrock-input-token-count": "-3" }, null],
    [{ "x-amzn-bedrock-input-token-count": "abc" }, null],
  ])("%j", (h, expected) => expect(invokeHeaderUsage(new Headers(h))).toEqual(expected));
});

describe("invocationMetricsUsage", () => {
  it.each([
    [
      { "amazon-bedrock-invocationMetrics": { inputTokenCount: 9, outputTokenCount: 4, invocationLatency: 10 } },
      { inputTokens: 9, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ],
    [
      {
        type: "message_stop",
        "amazon-bedrock-invocationMetrics": { inputTokenCount: 1, outputTokenCount: 2, cacheReadInputTokenCount: 3, cacheWriteInputTokenCount: 4 },
      },
      { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4 },
    ],
    [{ type: "content_block_delta" }, null],
    [{ "amazon-bedrock-invocationMetrics": {} }, null],
  ])("%j", (payload, expected) => expect(invocationMetricsUsage(payload)).toEqual(expected));
});

describe("readStreamEvent", () => {
  it("reads ConverseStream's stop reason and final metadata usage", () => {
    const s = newStreamUsage();
    readStreamEvent(s, event("messageStart", { role: "assistant" }));
    readStreamEvent(s, event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hello there" } }));
    readStreamEvent(s, event("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":1}' } } }));
    expect(s).toMatchObject({ usage: null, complete: false, chars: 18 });
    readStreamEvent(s, event("messageStop", { stopReason: "tool_use" }));
    readStreamEvent(s, event("metadata", { usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11 }, metrics: { latencyMs: 1 } }));
    expect(s).toMatchObject({ usage: { inputTokens: 5, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0 }, stopReason: "tool_use", complete: true });
  });

  it("reads InvokeModelWithResponseStream chunks: text, the stop reason, and the final invocation metrics", () => {
    const s = newStreamUsage();
    readStreamEvent(s, event("chunk", { bytes: b64({ type: "content_block_delta", delta: { type: "text_delta", text: "abcd" } }) }));
    readStreamEvent(s, event("chunk", { bytes: b64({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }) }));
    expect(s).toMatchObject({ usage: null, stopReason: "end_turn", complete: false, chars: 4 });
    readStreamEvent(
      s,
      event("chunk", { bytes: b64({ type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 8, outputTokenCount: 2 } }) }),
    );
    expect(s).toMatchObject({ usage: { inputTokens: 8, outputTokens: 2 }, complete: true });
  });

  it.each([
    [{ outputText: "abc", completionReason: "FINISH" }, "FINISH", 3],
    [{ generation: "abcde", stop_reason: "stop" }, "stop", 5],
    [{ choices: [{ finish_reason: "length" }] }, "length", 0],
  ])("reads other families' chunks %j", (native, stop, chars) => {
    const s = newStreamUsage();
    readStreamEvent(s, event("chunk", { bytes: b64(native) }));
    expect(s).toMatchObject({ stopReason: stop, chars });
  });

  it("ignores exceptions and chunks that are not JSON", () => {
    const s = newStreamUsage();
    readStreamEvent(s, { messageType: "exception", exceptionType: "throttlingException", payload: { message: "x" } });
    readStreamEvent(s, event("chunk", { bytes: "not base64!" }));
    expect(s).toEqual(newStreamUsage());
    expect(decodeChunkBytes(btoa("[1]"))).toBeNull();
  });
});

describe("admission estimates for InvokeModel bodies", () => {
  it.each([
    [{ anthropic_version: "bedrock-2023-05-31", max_tokens: 300, messages: [] }, 300],
    [{ max_gen_len: 256, prompt: "x" }, 256],
    [{ inputText: "x", textGenerationConfig: { maxTokenCount: 512 } }, 512],
    [{ messages: [], inferenceConfig: { max_new_tokens: 128 } }, 128],
    [{ max_completion_tokens: 64 }, 64],
    [{ prompt: "x" }, 4096],
    [{ max_tokens: 0 }, 4096],
    [null, 4096],
  ])("max output of %j → %i", (body, n) => expect(invokeMaxOutput(body, 4096)).toBe(n));

  it("counts text, not media, in model-native bodies", () => {
    const text = { messages: [{ role: "user", content: [{ type: "text", text: "a".repeat(300) }] }] };
    expect(estimateInvokeInput(text)).toBeGreaterThanOrEqual(100);
    const image = { messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", data: "A".repeat(3_000_000) } }] }] };
    expect(estimateInvokeInput(image)).toBeLessThan(2_000);
  });
});
