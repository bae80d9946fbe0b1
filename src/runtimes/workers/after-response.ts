/**
 * Runs `done` once a response has been sent (or abandoned by the client) and every piece of background work
 * registered meanwhile has settled. A streamed body ends long after `fetch` returned and records its usage row
 * only then, so the request's database client must stay open until that row is written.
 */
import type { ExecutionContext } from "./env";

export type BackgroundWork = {
  /** Deps.waitUntil for this request: tracked here and kept alive by ctx.waitUntil. */
  waitUntil(promise: Promise<unknown>): void;
  /** Returns the response to send; calls `done` after its body (when streamed) and the tracked work are finished. */
  finishAfter(response: Response, done: () => Promise<unknown>): Response;
};

export function trackBackgroundWork(ctx: ExecutionContext, onError: (err: unknown) => void): BackgroundWork {
  const pending = new Set<Promise<unknown>>();
  const settled = async () => {
    // Work can register more work (a retried write): wait until the set stays empty.
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  return {
    waitUntil(promise) {
      const tracked: Promise<unknown> = promise.catch(onError).finally(() => pending.delete(tracked));
      pending.add(tracked);
      ctx.waitUntil(tracked);
    },
    finishAfter(response, done) {
      const finish = () => settled().then(done).catch(onError);
      // Only streamed bodies outlive `fetch` (their usage row is written when they end). Other bodies are complete
      // already and pass untouched, keeping their Content-Length.
      if (!response.body || !isEventStream(response)) {
        ctx.waitUntil(finish());
        return response;
      }
      // An identity pipe tells us when the stream is over. Chunks pass through as they come (no buffering), and
      // a client that goes away cancels the pipe, which cancels the app's stream and with it the Bedrock read.
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      ctx.waitUntil(
        response.body
          .pipeTo(writable)
          .catch(() => {})
          .then(finish),
      );
      return new Response(readable, response);
    },
  };
}

/** Streamed bodies: OpenAI's and Anthropic's SSE, and Bedrock's binary event stream relayed by the Bedrock door. */
const STREAM_TYPES = ["text/event-stream", "application/vnd.amazon.eventstream"];

function isEventStream(response: Response): boolean {
  const type = response.headers.get("content-type")?.toLowerCase() ?? "";
  return STREAM_TYPES.some((t) => type.startsWith(t));
}
