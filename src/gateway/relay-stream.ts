/**
 * The one relay every streaming door uses: upstream events in, the door's SSE out. A pull-based stream, so
 * backpressure reaches Bedrock and a client that goes away cancels the upstream read (and with it the Bedrock
 * request). Each pull reads until the door's translator has something to send, encodes it with the door's encoder
 * and records the time to the first content. The usage row is settled in exactly one place, however the stream
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
  events: ReadableStream<E>;
  door: StreamDoor<E, O>;
  draft: UsageDraft;
  /** The client's request signal: aborted when it goes away. */
  signal: AbortSignal;
};

const encoder = new TextEncoder();
const toBytes = (out: string | Uint8Array): Uint8Array => (typeof out === "string" ? encoder.encode(out) : out);
const CLIENT_GONE: UsageOutcome = { status: "aborted", httpStatus: 499, errorCode: "client_closed_request" };
/** The gateway itself ended the stream (not the client, not Bedrock): the status and code its drain refusals use. */
const SHUTDOWN: UsageOutcome = { status: "error", httpStatus: 503, errorCode: "shutting_down" };
/** Codes of a stream that stopped being a stream (as opposed to Bedrock reporting an error in it). */
const CUT_CODES = new Set(["upstream_stream_truncated", "upstream_malformed_stream", "upstream_stream_error"]);

/** Builds the client-facing body; the draft is deferred to it (the usage middleware no longer settles it). */
export function relayStream<E, O>(deps: Pick<Deps, "clock" | "logger" | "shutdown">, plan: RelayPlan<E, O>): ReadableStream<Uint8Array> {
  const { draft, door, signal } = plan;
  draft.deferred = true;
  const reader = plan.events.getReader();
  let pending: Promise<ReadableStreamReadResult<E>> | null = null;
  let ended = false;
  let unregister: (() => void) | undefined;

  const end = (how: StreamEnd, outcome: UsageOutcome, detail?: { error?: unknown }) => {
    if (ended) return;
    ended = true;
    unregister?.();
    door.beforeSettle(draft, outcome);
    settleUsage(deps, draft, outcome);
    const fields = { requestId: draft.requestId, end: how, status: outcome.httpStatus, code: outcome.errorCode ?? undefined };
    if (how === "internal_error") deps.logger.error("stream ended", { ...fields, error: detail?.error });
    else if (how === "upstream_cut" || how === "upstream_error" || how === "shutdown") deps.logger.warn("stream ended", fields);
    else deps.logger.info("stream ended", fields);
  };

  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, items: O[]) => {
    if (items.length === 0) return;
    if (draft.ttftMs === null && items.some(door.hasContent)) draft.ttftMs = Math.max(0, deps.clock.now() - draft.startedAt);
    controller.enqueue(toBytes(door.encode(items)));
  };

  /** The next upstream event, or null when the keep-alive interval passed first (the read stays pending). */
  const next = async (): Promise<ReadableStreamReadResult<E> | null> => {
    pending ??= reader.read();
    const ka = door.keepAlive;
    if (!ka) {
      const r = await pending;
      pending = null;
      return r;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ka.everyMs)));
    try {
      const r = await Promise.race([pending, tick]);
      if (r !== null) pending = null;
      return r;
    } finally {
      clearTimeout(timer);
    }
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown, fromUpstream: boolean) => {
    reader.cancel(err).catch(() => {});
    if (ended) return; // cancelled by the client meanwhile: already settled
    // Once the client is gone, whatever the upstream did next (an abort error, an early end) is our own doing.
    if (signal.aborted) {
      end("client_gone", CLIENT_GONE);
      controller.error(err);
      return;
    }
    const known = err instanceof GatewayError;
    const gw = known ? err : fromUpstream ? GatewayError.upstream("The Bedrock stream failed.", "upstream_stream_error") : GatewayError.internal();
    const how: StreamEnd = !fromUpstream && !known ? "internal_error" : CUT_CODES.has(gw.code ?? "") ? "upstream_cut" : "upstream_error";
    controller.enqueue(toBytes(door.errorEvent(gw)));
    controller.close();
    end(how, { status: "error", httpStatus: gw.status, errorCode: gw.code ?? gw.type }, { error: known ? undefined : err });
  };

  /** The drain deadline passed: the door's error event, a clean close, the upstream cancelled, the row written. */
  const shutDown = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (ended) return;
    const err = GatewayError.shuttingDown();
    try {
      controller.enqueue(toBytes(door.errorEvent(err)));
      controller.close();
    } catch {
      // The body was already closed by the runtime: nothing more can reach the client, the row still says why.
    }
    end("shutdown", SHUTDOWN);
    reader.cancel(err).catch(() => {});
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!deps.shutdown) return;
        if (deps.shutdown.requested) return shutDown(controller);
        unregister = deps.shutdown.onShutdown(() => shutDown(controller));
      },
      async pull(controller) {
        // Keep reading until there is something to send: a pull that enqueues nothing is not called again.
        for (;;) {
          let r: ReadableStreamReadResult<E> | null;
          try {
            r = await next();
          } catch (err) {
            return fail(controller, err, true);
          }
          if (ended) return;
          if (r === null) {
            controller.enqueue(encoder.encode(door.keepAlive!.text));
            return;
          }
          try {
            if (r.done) {
              if (signal.aborted) return fail(controller, new Error("client closed the request"), true);
              emit(controller, door.finish());
              if (door.trailer) controller.enqueue(encoder.encode(door.trailer));
              controller.close();
              end("done", { status: "ok", httpStatus: 200, errorCode: null });
              return;
            }
            const items = door.push(r.value);
            if (items.length > 0) return emit(controller, items);
          } catch (err) {
            // finish() reports an early end of the upstream; push() a shape the door cannot translate.
            return fail(controller, err, r.done || (err instanceof GatewayError && err.status >= 500));
          }
        }
      },
      cancel(reason) {
        end("client_gone", CLIENT_GONE);
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** The response headers of every SSE door. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;
