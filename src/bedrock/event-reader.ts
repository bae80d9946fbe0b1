/**
 * The one-reader view of an upstream event stream that the relay takes, and the reader with an idle limit the
 * Bedrock client and the Bedrock-native door hand out. A ReadableStream fits the view as it is; the client's reader
 * is one object per stream instead of a ReadableStream, its controller, reader and a promise, timer and race per
 * event: a stream spends its life waiting, so what each open one holds is what the gateway holds per client.
 */
import { GatewayError } from "../errors";

/** The part of a ReadableStream reader the relay uses. */
export type EventReader<T> = {
  read(): Promise<ReadableStreamReadResult<T>>;
  cancel(reason?: unknown): Promise<void>;
  /** True when the next read resolves without waiting for the network (an item is already decoded). */
  buffered?(): boolean;
};

/** A stream of events read once, from start to end: a ReadableStream, or a lighter reader of its own (below). */
export type EventStream<T> = ReadableStream<T> | { getReader(): EventReader<T> };

/** A timer handle from either runtime typing (DOM's number, Node's Timeout). */
export type TimerHandle = ReturnType<typeof setTimeout> | number;

/** The error of a stream that sent nothing for `idleMs` (504 `upstream_timeout`). */
export function silenceError(idleMs: number): GatewayError {
  return new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: `Bedrock sent nothing for ${idleMs} ms.` });
}

const DONE: ReadableStreamReadResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * What turns body chunks into items, one item at a time: `push` adds bytes, `next` takes the next whole item (or
 * undefined until more bytes come), `ready` says whether `next` has one without more bytes, and `end` gives what
 * the end of the body leaves (an error item for bytes left inside an item).
 */
export type ChunkSplitter<T> = { push(chunk: Uint8Array): void; next(): T | undefined; ready(): boolean; end(): T[] };

/**
 * A reader of items straight from a response body: each read takes the next item from the bytes already read and
 * pulls body chunks only when they hold no whole item. It does what `body.pipeThrough(transform).getReader()`
 * does without a TransformStream and its pipe per stream, and a slow reader holds the body back. Items are made
 * as they are read, so the first item of a chunk that carries many is handed on before the others are made. A body
 * that fails rejects the read; cancelling cancels the body.
 */
export function readSplit<T>(body: ReadableStream<Uint8Array>, splitter: ChunkSplitter<T>): EventReader<T> & { buffered(): boolean } {
  const raw = body.getReader();
  /** The end's items, once the body has ended. */
  let tail: T[] | null = null;
  return {
    async read() {
      for (;;) {
        if (tail !== null) return tail.length > 0 ? { done: false, value: tail.shift()! } : DONE;
        const value = splitter.next();
        if (value !== undefined) return { done: false, value };
        const r = await raw.read();
        if (r.done) tail = splitter.end();
        else splitter.push(r.value);
      }
    },
    cancel: (reason) => raw.cancel(reason),
    buffered: () => (tail !== null ? tail.length > 0 : splitter.ready()),
  };
}

/**
 * Reads `inner` with a limit on how long one read may wait: the items already read (`first`) come out first, then
 * one inner item per read, each passed through `accept` (which throws to end the stream, for in-band errors). Any
 * failure, or silence past `idleMs`, cancels the inner reader and rejects the read; after it, reads end.
 *
 * The limit is one timer per stream, not one per read: it is armed when a read starts waiting and, when it fires
 * early (the stream was busy meanwhile), re-armed for what is left of the wait that is pending then. Silence cancels
 * the inner reader, which settles its pending read (WHATWG streams: cancel closes the stream), and that read then
 * rejects with the timeout.
 */
export class IdleLimitReader<I, T> implements EventReader<T> {
  /** When the pending read began waiting on the inner reader (ms since epoch); 0 when none is. */
  private waitingSince = 0;
  private timer: TimerHandle | undefined = undefined;
  private failure: unknown = null;
  private ended = false;

  constructor(
    private readonly inner: EventReader<I>,
    private readonly idleMs: number,
    private readonly accept: (item: I) => T,
    private first: T[] = [],
  ) {}

  getReader(): EventReader<T> {
    return this;
  }

  buffered(): boolean {
    return this.first.length > 0 || (!this.ended && this.inner.buffered?.() === true);
  }

  async read(): Promise<ReadableStreamReadResult<T>> {
    if (this.first.length > 0) return { done: false, value: this.first.shift()! };
    if (this.ended) {
      if (this.failure !== null) throw this.failure;
      return DONE;
    }
    if (!this.inner.buffered?.()) {
      this.waitingSince = Date.now();
      if (this.timer === undefined) this.timer = setTimeout(checkSilence, this.idleMs, this);
    }
    let r: ReadableStreamReadResult<I>;
    try {
      r = await this.inner.read();
    } catch (err) {
      throw this.fail(err);
    } finally {
      this.waitingSince = 0;
    }
    if (this.failure !== null) throw this.fail(this.failure);
    if (r.done) {
      this.stop();
      return DONE;
    }
    try {
      const value = this.accept(r.value);
      // The inner result is handed on when the item is (no new result object per event).
      return (value as unknown) === r.value ? (r as unknown as ReadableStreamReadResult<T>) : { done: false, value };
    } catch (err) {
      throw this.fail(err);
    }
  }

  cancel(reason?: unknown): Promise<void> {
    this.stop();
    this.first = [];
    return this.inner.cancel(reason);
  }

  /** Called by the timer: the pending read has waited `idleMs`, or the timer is re-armed for the rest. */
  onTimer(): void {
    this.timer = undefined;
    if (this.ended || this.waitingSince === 0) return; // no read is waiting: the next one arms it again
    const left = this.waitingSince + this.idleMs - Date.now();
    if (left > 0) {
      this.timer = setTimeout(checkSilence, left, this);
      return;
    }
    this.failure = silenceError(this.idleMs);
    this.inner.cancel(this.failure).catch(() => {});
  }

  private fail(err: unknown): unknown {
    const first = this.failure ?? err;
    this.failure = first;
    if (!this.ended) {
      this.stop();
      this.inner.cancel(first).catch(() => {});
    }
    return first;
  }

  private stop(): void {
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function checkSilence(reader: IdleLimitReader<unknown, unknown>): void {
  reader.onTimer();
}
