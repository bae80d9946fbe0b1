/** The frame relay, with frames encoded by the same codec Bedrock's SDKs use: splits, corruption, cuts, exceptions, limits. */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { describe, expect, it } from "vitest";
import type { EventStream } from "../../../../src/bedrock/event-reader";
import { createFrameSplitter, exceptionFrame, openFrames, RelayedException, type RelayFrame } from "../../../../src/doors/bedrock-native/frames";
import { GatewayError } from "../../../../src/errors";
import { AttemptError } from "../../../../src/routing/classify";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: "string" as const, value });
const event = (type: string, payload: unknown) =>
  codec.encode({
    headers: { ":message-type": str("event"), ":event-type": str(type), ":content-type": str("application/json") },
    body: fromUtf8(JSON.stringify(payload)),
  });
const exception = (type: string, message: string) =>
  codec.encode({
    headers: { ":message-type": str("exception"), ":exception-type": str(type), ":content-type": str("application/json") },
    body: fromUtf8(JSON.stringify({ message })),
  });

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const chunks = (bytes: Uint8Array, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
const source = (parts: Uint8Array[], end: "close" | "hang" = "close") =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      if (end === "close") c.close();
    },
  });

async function split(parts: Uint8Array[]) {
  const out: unknown[] = [];
  const reader = source(parts).pipeThrough(createFrameSplitter()).getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
}

const frames = [
  event("messageStart", { role: "assistant" }),
  event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "héllo" } }),
  event("metadata", { usage: { inputTokens: 1 } }),
];
const all = concat(...frames);

describe("createFrameSplitter", () => {
  it.each([1, 3, 16, 64, all.length])("gives whole frames, byte for byte, from %i-byte network chunks", async (size) => {
    const out = (await split(chunks(all, size))) as RelayFrame[];
    expect(out.map((f) => Buffer.from(f.bytes).toString("hex"))).toEqual(frames.map((f) => Buffer.from(f).toString("hex")));
    expect(out.map((f) => f.decoded.eventType)).toEqual(["messageStart", "contentBlockDelta", "metadata"]);
    expect(out[1]!.decoded.payload).toEqual({ contentBlockIndex: 0, delta: { text: "héllo" } });
  });

  it("keeps the frames before a corrupt one, then one error", async () => {
    const bad = frames[1]!.slice();
    bad[bad.length - 1]! ^= 0xff;
    const out = await split([concat(frames[0]!, bad, frames[2]!)]);
    expect(out).toHaveLength(2);
    expect((out[0] as RelayFrame).decoded.eventType).toBe("messageStart");
    expect((out[1] as { error: GatewayError }).error.code).toBe("upstream_malformed_stream");
  });

  it("reports bytes left at the end as a truncated stream", async () => {
    const out = await split([all.subarray(0, all.length - 5)]);
    expect(out).toHaveLength(3);
    expect((out[2] as { error: GatewayError }).error.code).toBe("upstream_stream_truncated");
  });

  it("reports an impossible frame length as corruption", async () => {
    const out = await split([new Uint8Array([0, 0, 0, 3, 1, 2, 3, 4])]);
    expect((out[0] as { error: GatewayError }).error.code).toBe("upstream_malformed_stream");
  });
});

describe("exceptionFrame", () => {
  it.each([
    [GatewayError.rateLimited("slow down"), false, "throttlingException"],
    [GatewayError.upstream("cut", "upstream_stream_truncated"), false, "internalServerException"],
    [new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: "silent" }), true, "modelTimeoutException"],
    [new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: "silent" }), false, "internalServerException"],
    [GatewayError.fromBedrock(503, "ServiceUnavailableException", "busy"), false, "serviceUnavailableException"],
  ])("encodes %s as %s", (err, invoke, member) => {
    const decoded = codec.decode(exceptionFrame(err, invoke));
    expect(decoded.headers[":message-type"]!.value).toBe("exception");
    expect(decoded.headers[":exception-type"]!.value).toBe(member);
    expect(JSON.parse(toUtf8(decoded.body))).toEqual({ message: err.message });
  });

  it("relays Bedrock's own exception frame unchanged", () => {
    const frame = exception("throttlingException", "Too many tokens");
    expect(exceptionFrame(new RelayedException(GatewayError.rateLimited("x"), frame), false)).toBe(frame);
  });
});

describe("openFrames", () => {
  const limits = { firstByteMs: 200, idleMs: 200 };
  const read = async (s: EventStream<RelayFrame>) => {
    const out: RelayFrame[] = [];
    const reader = s.getReader();
    for (;;) {
      const r = await reader.read();
      if (r.done) return out;
      out.push(r.value);
    }
  };

  it("hands out every frame after the first has arrived", async () => {
    const out = await read(await openFrames(source(chunks(all, 5)), limits));
    expect(out.map((f) => f.decoded.eventType)).toEqual(["messageStart", "contentBlockDelta", "metadata"]);
  });

  it.each([
    ["throttlingException", "next"],
    ["serviceUnavailableException", "same"],
    ["validationException", "never"],
  ])("turns a first frame that is a %s into an attempt failure (%s)", async (type, retry) => {
    const err = await openFrames(source([exception(type, "no")]), limits).catch((e) => e);
    expect(err).toBeInstanceOf(AttemptError);
    expect((err as AttemptError).retry).toBe(retry);
  });

  it("ends the stream with Bedrock's own frame when an exception comes later", async () => {
    const ex = exception("modelStreamErrorException", "broke");
    const s = await openFrames(source([frames[0]!, ex]), limits);
    const err = await read(s).catch((e) => e);
    expect(err).toBeInstanceOf(RelayedException);
    expect((err as RelayedException).frame).toEqual(ex);
    expect((err as RelayedException).code).toBe("model_stream_error");
  });

  it("applies the first-byte limit before the first frame and the idle limit after it", async () => {
    const first = await openFrames(source([], "hang"), limits).catch((e) => e);
    expect(first).toBeInstanceOf(AttemptError);
    expect((first as AttemptError).code).toBe("upstream_timeout");
    const s = await openFrames(source([frames[0]!], "hang"), limits);
    const idle = await read(s).catch((e) => e);
    expect((idle as GatewayError).code).toBe("upstream_timeout");
    expect((idle as GatewayError).message).toMatch(/sent nothing for 200 ms/);
  });

  it("cancels Bedrock's body when the relay is cancelled", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(frames[0]!);
      },
      cancel() {
        cancelled = true;
      },
    });
    const s = await openFrames(body, limits);
    await s.cancel("client gone");
    expect(cancelled).toBe(true);
  });
});
