/**
 * The one relay every streaming door uses: upstream events in, the door's SSE out. A pull-based stream, so
 * backpressure reaches Bedrock and a client that goes away cancels the upstream read (and with it the Bedrock
 * request). Each pull reads until the door's translator has something to send, and on while the upstream reader has
 * events already decoded (`buffered`), so the events of one network chunk leave as one chunk of the body: one write
 * and one read of the body per network chunk instead of per event (nothing waits to fill a batch). It encodes them
 * with the door's encoder and records the time to the first content. The usage row is settled in exactly one place, however the stream
 * ends, and that end is written once to the log with what caused it:
 *
 *   done            the upstream finished and the door closed the stream cleanly
 *   client_gone     the client disconnected (row: aborted, 499); never blamed on Bedrock
 *   upstream_cut    the upstream ended early or sent bytes that are not a stream (truncated, reset, corrupt)
 *   upstream_error  Bedrock sent an exception (throttling, model error…) or stopped sending (idle timeout)
 *   internal_error  the gateway failed translating the stream
 *   shutdown        the server's graceful stop reached its drain deadline with the stream still open (row: error,
 *                   503 shutting_down); the client gets the door's error event, so it can retry elsewhere
 *
 * Errors after the first byte are written in the door's own shape (its `errorEvent`), then the stream closes.
 */
import type { Deps } from "../deps";
import type { EventReader, EventStream, TimerHandle } from "../bedrock/event-reader";
import { GatewayError } from "../errors";
import { settleUsage, type UsageDraft, type UsageOutcome } from "../usage/draft";

export type StreamEnd = "done" | "client_gone" | "upstream_cut" | "upstream_error" | "internal_error" | "shutdown";

/** What a door supplies: its pure translator, its encoder, and how its state fills the usage row. */
export type StreamDoor<E, O> = {
  /** Upstream event → the door's events (objects, never text). */
  push(event: E): O[];
  /** Called once when the upstream ended cleanly; throws a GatewayError when it ended too early. */
  finish(): O[];
  /** SSE text for a batch of the door's events (or bytes, for a door that relays a binary event stream). */
  encode(items: O[]): string | Uint8Array;
  /** Text written after `finish` (OpenAI's `data: [DONE]`). */
  trailer?: string;
  /** SSE text (or bytes) for an error after the first byte, in the door's error shape. */
  errorEvent(err: GatewayError): string | Uint8Array;
  /** Whether an event carries content (for time to first token). */
  hasContent(item: O): boolean;
  /** Fills the draft (usage, stop reason) from the translator's state just before the row is written. */
  beforeSettle(draft: UsageDraft, outcome: UsageOutcome): void;
  /** Text sent when the upstream is silent this long (Anthropic's `ping`); off when absent. */
  keepAlive?: { everyMs: number; text: string };
};

export type RelayPlan<E, O> = {
  /** The upstream events: the Bedrock client's stream, or any ReadableStream (read once). */
  events: EventStream<E>;
  door: StreamDoor<E, O>;
  draft: UsageDraft;
  /** The client's request signal: aborted when it goes away. */
  signal: AbortSignal;
};

const encoder = new TextEncoder();
const CLIENT_GONE: UsageOutcome = { status: "aborted", httpStatus: 499, errorCode: "client_closed_request" };
/** The gateway itself ended the stream (not the client, not Bedrock): the status and code its drain refusals use. */
const SHUTDOWN: UsageOutcome = { status: "error", httpStatus: 503, errorCode: "shutting_down" };
/** Codes of a stream that stopped being a stream (as opposed to Bedrock reporting an error in it). */
const CUT_CODES = new Set(["upstream_stream_truncated", "upstream_malformed_stream", "upstream_stream_error"]);
/**
 * Output (characters or bytes) past which a burst of decoded events is sent before the rest of the burst is read:
 * a backlog (a network chunk of hundreds of events) then leaves in pieces of about 40 deltas, so the client's next
 * tokens wait for at most that much translation, while a steady stream still costs one write per network chunk.
 */
const FLUSH_AT = 8192;

/** Builds the client-facing body; the draft is deferred to it (the usage middleware no longer settles it). */
export function relayStream<E, O>(deps: Pick<Deps, "clock" | "logger" | "shutdown" | "nextTurn">, plan: RelayPlan<E, O>): ReadableStream<Uint8Array> {
  const { draft, door, signal } = plan;
  draft.deferred = true;
  const reader: EventReader<E> = plan.events.getReader();
  const out = new Output();
  let ended = false;
  let unregister: (() => void) | undefined;
  let keepAlive: KeepAlive | null = null;
  /** The first content was just sent: the next pull lets the runtime put it on the wire before reading on. */
  let letFirstOut = false;

  const end = (how: StreamEnd, outcome: UsageOutcome, detail?: { error?: unknown }) => {
    if (ended) return;
    ended = true;
    unregister?.();
    keepAlive?.stop();
    door.beforeSettle(draft, outcome);
    settleUsage(deps, draft, outcome);
    const fields = { requestId: draft.requestId, end: how, status: outcome.httpStatus, code: outcome.errorCode ?? undefined };
    if (how === "internal_error") deps.logger.error("stream ended", { ...fields, error: detail?.error });
    else if (how === "upstream_cut" || how === "upstream_error" || how === "shutdown") deps.logger.warn("stream ended", fields);
    else deps.logger.info("stream ended", fields);
  };

  /** Adds the items' text; true when they hold the stream's first content (which is then sent without waiting). */
  const emit = (items: O[]): boolean => {
    if (items.length === 0) return false;
    out.add(door.encode(items));
    if (draft.ttftMs !== null || !items.some(door.hasContent)) return false;
    draft.ttftMs = Math.max(0, deps.clock.now() - draft.startedAt);
    return true;
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown, fromUpstream: boolean) => {
    reader.cancel(err).catch(() => {});
    if (ended) return; // cancelled by the client meanwhile: already settled
    // Once the client is gone, whatever the upstream did next (an abort error, an early end) is our own doing.
    if (signal.aborted) {
      out.clear();
      end("client_gone", CLIENT_GONE);
      controller.error(err);
      return;
    }
    const known = err instanceof GatewayError;
    const gw = known ? err : fromUpstream ? GatewayError.upstream("The Bedrock stream failed.", "upstream_stream_error") : GatewayError.internal();
    const how: StreamEnd = !fromUpstream && !known ? "internal_error" : CUT_CODES.has(gw.code ?? "") ? "upstream_cut" : "upstream_error";
    // What was translated before the failure still goes first.
    out.add(door.errorEvent(gw));
    out.flush(controller);
    controller.close();
    end(how, { status: "error", httpStatus: gw.status, errorCode: gw.code ?? gw.type }, { error: known ? undefined : err });
  };

  /** The drain deadline passed: the door's error event, a clean close, the upstream cancelled, the row written. */
  const shutDown = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (ended) return;
    const err = GatewayError.shuttingDown();
    try {
      out.add(door.errorEvent(err));
      out.flush(controller);
      controller.close();
    } catch {
      // The body was already closed by the runtime: nothing more can reach the client, the row still says why.
    }
    out.clear();
    end("shutdown", SHUTDOWN);
    reader.cancel(err).catch(() => {});
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (door.keepAlive) keepAlive = new KeepAlive(deps.clock, door.keepAlive, controller);
        if (!deps.shutdown) return;
        if (deps.shutdown.requested) return shutDown(controller);
        unregister = deps.shutdown.onShutdown(() => shutDown(controller));
      },
      async pull(controller) {
        if (letFirstOut) {
          // Events already read (decoded here, or queued in the upstream body) resolve reads without a turn of the
          // event loop, and node:http sends a turn's writes only when the turn ends: reading on would hold the first
          // token back until the whole burst is translated.
          letFirstOut = false;
          await (deps.nextTurn ? deps.nextTurn() : new Promise<void>((resolve) => setTimeout(resolve, 0)));
          if (ended) return;
        }
        // Keep reading until there is something to send: a pull that enqueues nothing is not called again.
        for (;;) {
          let r: ReadableStreamReadResult<E>;
          let first = false;
          keepAlive?.waiting();
          try {
            r = await reader.read();
          } catch (err) {
            return fail(controller, err, true);
          }
          if (ended) return;
          keepAlive?.heard();
          try {
            if (r.done) {
              if (signal.aborted) return fail(controller, new Error("client closed the request"), true);
              emit(door.finish());
              if (door.trailer) out.add(door.trailer);
              out.flush(controller);
              controller.close();
              end("done", { status: "ok", httpStatus: 200, errorCode: null });
              return;
            }
            first = emit(door.push(r.value));
          } catch (err) {
            // finish() reports an early end of the upstream; push() a shape the door cannot translate.
            return fail(controller, err, r.done || (err instanceof GatewayError && err.status >= 500));
          }
          if (!out.empty && (first || out.size >= FLUSH_AT || reader.buffered?.() !== true)) {
            letFirstOut = first;
            return out.flush(controller);
          }
        }
      },
      cancel(reason) {
        out.clear();
        end("client_gone", CLIENT_GONE);
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** Encoded output not yet enqueued: text (joined, encoded once) or a binary door's bytes (joined). */
class Output {
  private text = "";
  private bytes: Uint8Array[] = [];

  private byteCount = 0;

  get empty(): boolean {
    return this.text === "" && this.bytes.length === 0;
  }

  /** How much is waiting: characters of text plus bytes. */
  get size(): number {
    return this.text.length + this.byteCount;
  }

  add(out: string | Uint8Array): void {
    if (typeof out === "string") this.text += out;
    else if (out.length > 0) {
      if (this.text !== "") this.pushBytes(encoder.encode(this.text));
      this.text = "";
      this.pushBytes(out);
    }
  }

  flush(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.bytes.length > 0) {
      if (this.text !== "") this.bytes.push(encoder.encode(this.text));
      controller.enqueue(this.bytes.length === 1 ? this.bytes[0]! : concat(this.bytes));
    } else if (this.text !== "") controller.enqueue(encoder.encode(this.text));
    this.clear();
  }

  clear(): void {
    this.text = "";
    if (this.bytes.length > 0) this.bytes = [];
    this.byteCount = 0;
  }

  private pushBytes(b: Uint8Array): void {
    this.bytes.push(b);
    this.byteCount += b.length;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const joined = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return joined;
}

/**
 * The door's keep-alive text, sent while a pull waits on a silent upstream: one timer per stream, re-armed for
 * what is left of the interval, rather than a timer and a race per event. The text is enqueued while the pull
 * still waits, so it answers the body's pending read and the upstream read stays where it is.
 */
class KeepAlive {
  /** When the pending pull began waiting, or the keep-alive was last sent (clock ms); 0 while no pull waits. */
  private since = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Deps["clock"],
    private readonly ka: { everyMs: number; text: string },
    private readonly controller: ReadableStreamDefaultController<Uint8Array>,
  ) {}

  /** A pull waits on the upstream; the timer is armed if it is not (it stops when it finds no pull waiting). */
  waiting(): void {
    this.since = this.clock.now();
    if (this.timer === undefined) this.timer = setTimeout(tickKeepAlive, this.ka.everyMs, this);
  }

  heard(): void {
    this.since = 0;
  }

  tick(): void {
    this.timer = undefined;
    if (this.since === 0) return;
    const now = this.clock.now();
    if (now - this.since >= this.ka.everyMs) {
      this.controller.enqueue(encoder.encode(this.ka.text));
      this.since = now;
    }
    this.timer = setTimeout(tickKeepAlive, Math.max(1, this.since + this.ka.everyMs - now), this);
  }

  stop(): void {
    this.since = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function tickKeepAlive(ka: KeepAlive): void {
  ka.tick();
}

/** The response headers of every SSE door. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;
