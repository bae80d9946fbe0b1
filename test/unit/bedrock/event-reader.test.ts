/** The idle-limit reader and the body reader: order, in-band errors, silence, cancellation, what is buffered. */
import { describe, expect, it } from "vitest";
import { type ChunkSplitter, IdleLimitReader, readSplit } from "../../../src/bedrock/event-reader";
import { GatewayError } from "../../../src/errors";

/** A source that hands out `items`, then waits (`hang`) or ends; it records whether it was cancelled. */
function source(items: number[], end: "close" | "hang" = "close") {
  const state = { cancelled: false as boolean, reason: undefined as unknown };
  const stream = new ReadableStream<number>({
    start(c) {
      for (const i of items) c.enqueue(i);
      if (end === "close") c.close();
    },
    cancel(reason) {
      state.cancelled = true;
      state.reason = reason;
    },
  });
  return { reader: stream.getReader(), state };
}

const drain = async (r: { read(): Promise<ReadableStreamReadResult<number>> }) => {
  const out: number[] = [];
  for (let x = await r.read(); !x.done; x = await r.read()) out.push(x.value);
  return out;
};
const same = (n: number) => n;

describe("IdleLimitReader", () => {
  it("hands out the items read before, then the inner ones, then ends", async () => {
    const { reader } = source([3, 4]);
    expect(await drain(new IdleLimitReader(reader, 1000, same, [1, 2]))).toEqual([1, 2, 3, 4]);
  });

  it("turns silence into a 504 upstream_timeout and cancels the inner reader with it", async () => {
    const { reader, state } = source([1], "hang");
    const r = new IdleLimitReader(reader, 50, same);
    expect(await r.read()).toEqual({ done: false, value: 1 });
    const err = await r.read().catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout", message: "Bedrock sent nothing for 50 ms." });
    expect(state.cancelled).toBe(true);
    expect(state.reason).toBe(err);
    expect(await r.read().catch((e) => e)).toBe(err);
  });

  it("does not count the time no read is pending (a slow consumer) as silence", async () => {
    let push: ((n: number) => void) | undefined;
    const stream = new ReadableStream<number>({ start: (c) => void (push = (n) => c.enqueue(n)) });
    const r = new IdleLimitReader(stream.getReader(), 40, same);
    push!(1);
    expect((await r.read()).value).toBe(1);
    // No read pending for longer than the limit: the timer finds nothing waiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = r.read();
    push!(2);
    expect((await next).value).toBe(2);
    await r.cancel();
  });

  it("ends with the error `accept` throws (an in-band error) and cancels the inner reader", async () => {
    const { reader, state } = source([1, -1, 2]);
    const boom = GatewayError.upstream("bad frame", "upstream_malformed_stream");
    const r = new IdleLimitReader(
      reader,
      1000,
      (n: number) => {
        if (n < 0) throw boom;
        return n * 10;
      },
      [],
    );
    expect((await r.read()).value).toBe(10);
    expect(await r.read().catch((e) => e)).toBe(boom);
    expect(state.cancelled).toBe(true);
  });

  it("passes cancellation to the inner reader and ends", async () => {
    const { reader, state } = source([1, 2], "hang");
    const r = new IdleLimitReader(reader, 1000, same, [0]);
    await r.cancel("client gone");
    expect(state).toEqual({ cancelled: true, reason: "client gone" });
    expect(await r.read()).toEqual({ done: true, value: undefined });
  });

  it("is buffered while it holds items read before or the inner reader has some decoded", async () => {
    const inner = { buffered: () => true, read: async () => ({ done: false as const, value: 5 }), cancel: async () => {} };
    const r = new IdleLimitReader(inner, 1000, same, [1]);
    expect(r.buffered()).toBe(true);
    await r.read();
    expect(r.buffered()).toBe(true);
    inner.buffered = () => false;
    expect(r.buffered()).toBe(false);
  });
});

describe("readSplit", () => {
  /** Splits bytes into one item per byte; the end adds -1 when asked. */
  const splitter = (endItem: boolean, made: number[] = []): ChunkSplitter<number> => {
    let bytes: number[] = [];
    return {
      push: (c) => {
        bytes = [...bytes, ...c];
      },
      next: () => {
        const b = bytes.shift();
        if (b !== undefined) made.push(b);
        return b;
      },
      ready: () => bytes.length > 0,
      end: () => (endItem ? [-1] : []),
    };
  };
  const body = (chunks: number[][]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(new Uint8Array(ch));
        c.close();
      },
    });

  it("reads items chunk by chunk, reports what is buffered, and adds the end's items", async () => {
    const r = readSplit(body([[1, 2], [3]]), splitter(true));
    expect(r.buffered()).toBe(false);
    expect((await r.read()).value).toBe(1);
    expect(r.buffered()).toBe(true);
    expect((await r.read()).value).toBe(2);
    expect(r.buffered()).toBe(false);
    expect(await drain(r)).toEqual([3, -1]);
  });

  it("makes each item only when it is read, not when its chunk arrives", async () => {
    const made: number[] = [];
    const r = readSplit(body([[1, 2, 3]]), splitter(false, made));
    expect((await r.read()).value).toBe(1);
    expect(made).toEqual([1]);
    expect(r.buffered()).toBe(true);
    expect(await drain(r)).toEqual([2, 3]);
    expect(made).toEqual([1, 2, 3]);
    expect(r.buffered()).toBe(false);
  });
});
