/**
 * Properties of the event-stream decoder (src/bedrock/event-stream.ts) under arbitrary input: whatever bytes
 * arrive, cut wherever the network cuts them, the stream never throws or rejects; it yields decoded events and at
 * most one error item, always last, always a GatewayError. Valid frames decode to the same events however they are
 * split, and a corrupted byte in them ends the stream with a clean error after the events before it.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEventStreamDecoder, type DecodedItem } from "../../src/bedrock/event-stream";
import { GatewayError } from "../../src/errors";
import { params } from "./runs";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: "string" as const, value });

/** `bytes` cut at the given offsets (sorted, deduplicated, in range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) out.push(bytes.slice(from, c));
    from = Math.max(from, c);
  }
  return out;
}

async function decode(pieces: Uint8Array[]): Promise<DecodedItem[]> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });
  const out: DecodedItem[] = [];
  const reader = source.pipeThrough(createEventStreamDecoder()).getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
}

function expectClean(items: DecodedItem[]): void {
  const errors = items.filter((i) => i.type === "error");
  expect(errors.length).toBeLessThanOrEqual(1);
  if (errors.length === 1) {
    expect(items.at(-1)).toBe(errors[0]);
    const err = (errors[0] as { error: unknown }).error;
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBeGreaterThanOrEqual(400);
  }
}

const EVENT_TYPES = ["messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"];
const eventFrame = fc
  .record({ type: fc.constantFrom(...EVENT_TYPES), body: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) })
  .map(({ type, body }) => ({
    type,
    body,
    bytes: codec.encode({
      headers: { ":message-type": str("event"), ":event-type": str(type), ":content-type": str("application/json") },
      body: fromUtf8(JSON.stringify(body)),
    }),
  }));
const frames = fc.array(eventFrame, { minLength: 1, maxLength: 6 });
/** The events a frame carries, as its JSON payload reads back (`-0` is written as `0`). */
const decoded = (fs: { type: string; body: unknown }[]) => fs.map((f) => ({ type: f.type, body: JSON.parse(JSON.stringify(f.body)) }));
const cuts = fc.array(fc.nat(), { maxLength: 12 });
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe("event-stream decoder under arbitrary input", () => {
  it("arbitrary bytes, arbitrarily split: never throws, at most one error and only at the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), cuts, async (bytes, at) => {
        expectClean(await decode(split(bytes, at)));
      }),
      params(),
    );
  });

  it("arbitrary bytes behind a plausible prelude (the length field says a frame follows) end cleanly too", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 16, max: 300 }), fc.uint8Array({ minLength: 8, maxLength: 300 }), cuts, async (total, rest, at) => {
        const bytes = new Uint8Array(4 + rest.length);
        new DataView(bytes.buffer).setUint32(0, total);
        bytes.set(rest, 4);
        const items = await decode(split(bytes, at));
        expectClean(items);
        // No CRC-valid frame can come out of random bytes in practice: the only item is the error.
        expect(items.length).toBeLessThanOrEqual(1);
      }),
      params(),
    );
  });

  it("valid frames decode to the same events however they are split", async () => {
    await fc.assert(
      fc.asyncProperty(frames, cuts, async (fs, at) => {
        const items = await decode(split(concat(fs.map((f) => f.bytes)), at));
        expect(items).toEqual(decoded(fs));
      }),
      params(),
    );
  });

  it("a corrupted byte yields the events before the damaged frame, then one clean error", async () => {
    await fc.assert(
      fc.asyncProperty(frames, fc.nat(), fc.integer({ min: 1, max: 255 }), cuts, async (fs, where, flip, at) => {
        const bytes = concat(fs.map((f) => f.bytes));
        const pos = where % bytes.length;
        bytes[pos] = bytes[pos]! ^ flip;
        const items = await decode(split(bytes, at));
        expectClean(items);
        let start = 0;
        const damaged = fs.findIndex((f) => (start += f.bytes.length) > pos);
        expect(items.slice(0, damaged)).toEqual(decoded(fs.slice(0, damaged)));
        expect(items.at(-1)?.type).toBe("error");
      }),
      params(),
    );
  });

  it("a stream cut anywhere inside a frame ends with an error, never silently", async () => {
    await fc.assert(
      fc.asyncProperty(frames, fc.nat(), cuts, async (fs, where, at) => {
        const bytes = concat(fs.map((f) => f.bytes));
        const boundaries = new Set(fs.map((_, i) => fs.slice(0, i + 1).reduce((n, f) => n + f.bytes.length, 0)));
        const end = where % bytes.length;
        fc.pre(end > 0 && !boundaries.has(end));
        const items = await decode(split(bytes.slice(0, end), at));
        expectClean(items);
        expect(items.at(-1)?.type).toBe("error");
      }),
      params(),
    );
  });
});
