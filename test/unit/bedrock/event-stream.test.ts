import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { describe, expect, it } from "vitest";
import { createEventStreamDecoder, type DecodedItem, decodeEventStream } from "../../../src/bedrock/event-stream";
import { GatewayError } from "../../../src/errors";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: "string" as const, value });

function eventFrame(type: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: { ":message-type": str("event"), ":event-type": str(type), ":content-type": str("application/json") },
    body: fromUtf8(JSON.stringify(body)),
  });
}

function exceptionFrame(type: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: { ":message-type": str("exception"), ":exception-type": str(type), ":content-type": str("application/json") },
    body: fromUtf8(JSON.stringify(body)),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

type Via = "TransformStream" | "body reader";

/** Feeds `bytes` cut into pieces of `size` bytes and collects what the decoder yields, through either form of it. */
async function decodeVia(bytes: Uint8Array, size: number, via: Via): Promise<DecodedItem[]> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size));
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });
  const out: DecodedItem[] = [];
  const reader = via === "TransformStream" ? source.pipeThrough(createEventStreamDecoder()).getReader() : decodeEventStream(source);
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
}

const conversation = [
  eventFrame("messageStart", { role: "assistant", p: "abc" }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "héllo 👋 世界" } }),
  eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
  eventFrame("messageStop", { stopReason: "end_turn" }),
  eventFrame("metadata", { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 5 } }),
];

describe.each<Via>(["TransformStream", "body reader"])("event-stream decoder (%s)", (via) => {
  const decode = (bytes: Uint8Array, size: number) => decodeVia(bytes, size, via);
  it.each([1, 3, 7, 64, 100_000])("reassembles frames split into %i-byte chunks", async (size) => {
    const items = await decode(concat(conversation), size);
    expect(items.map((e) => e.type)).toEqual(["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);
    expect((items[1] as { body: { delta: { text: string } } }).body.delta.text).toBe("héllo 👋 世界");
  });

  it("yields the events before an exception frame, then the mapped error", async () => {
    const bytes = concat([...conversation.slice(0, 2), exceptionFrame("throttlingException", { message: "Too many tokens" })]);
    const items = await decode(bytes, bytes.length);
    expect(items.map((e) => e.type)).toEqual(["messageStart", "contentBlockDelta", "error"]);
    const err = (items[2] as { error: GatewayError }).error;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 429, type: "rate_limit_error", message: "Too many tokens" });
  });

  it.each([
    ["modelStreamErrorException", 502, "model_stream_error"],
    ["internalServerException", 500, null],
    ["serviceUnavailableException", 503, "service_unavailable"],
    ["validationException", 400, null],
  ])("maps the %s exception frame", async (type, status, code) => {
    const items = await decode(exceptionFrame(type, { message: "boom" }), 1000);
    expect((items[0] as { error: GatewayError }).error).toMatchObject({ status, code });
  });

  it("reports a corrupt message CRC as a malformed upstream stream", async () => {
    const bad = eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } });
    bad[bad.length - 1] ^= 0xff;
    const items = await decode(concat([conversation[0]!, bad, conversation[2]!]), 5);
    expect(items.map((e) => e.type)).toEqual(["messageStart", "error"]);
    expect((items[1] as { error: GatewayError }).error.code).toBe("upstream_malformed_stream");
  });

  it("reports a stream that ends inside a frame", async () => {
    const whole = concat(conversation);
    const items = await decode(whole.slice(0, whole.length - 3), 50);
    expect(items.at(-1)!.type).toBe("error");
    expect((items.at(-1) as { error: GatewayError }).error.message).toMatch(/ended inside a frame/);
  });

  it("rejects an impossible frame length and unknown event types", async () => {
    const junk = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    expect((await decode(junk, 8))[0]!.type).toBe("error");
    const unknown = await decode(eventFrame("somethingNew", {}), 100);
    expect((unknown[0] as { error: GatewayError }).error.message).toMatch(/unknown event type/);
  });
});
