/**
 * A door request's abort signal: the client's, plus the graceful stop's drain deadline (deps.shutdown, Node and
 * Bun). The doors pass it to every Bedrock call, so a plain request still waiting for Bedrock at the deadline, or
 * a stream still waiting for its first event, has its Bedrock call aborted with GatewayError.shuttingDown(): the
 * client gets the door's 503 `shutting_down` (Anthropic 529 overloaded_error, Bedrock ServiceUnavailableException)
 * while headers can still be sent, and its usage row says `shutting_down`, not a client that went away. Once the
 * handler has returned, a stream's relay (relay-stream.ts) ends it at the deadline itself.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { linkedSignal } from "../http/linked-signal";

/** The signal a door gives its Bedrock calls (the client's alone where the middleware did not run). */
export function requestSignal(c: Context<AppEnv>): AbortSignal {
  return c.get("signal") ?? c.req.raw.signal;
}

export function inFlight(deps: Pick<Deps, "shutdown" | "logger">): MiddlewareHandler<AppEnv> {
  return async function inFlight(c, next) {
    const shutdown = deps.shutdown;
    if (!shutdown) {
      await next();
      return;
    }
    // The client's signal and the stop's, linked for the request's whole life (a stream's relay reads it after the
    // handler has returned), so never disposed: the link goes with the request (see http/linked-signal.ts on why
    // not AbortSignal.any).
    const stop = new AbortController();
    const cut = () => stop.abort(GatewayError.shuttingDown());
    c.set("signal", linkedSignal(c.req.raw.signal, stop.signal).signal);
    // Registered only while the handler runs: a stream's relay registers itself once it has taken over.
    let unregister: (() => void) | undefined;
    if (shutdown.requested) cut();
    else unregister = shutdown.onShutdown(cut);
    try {
      await next();
    } finally {
      unregister?.();
    }
    if (stop.signal.aborted && c.error instanceof GatewayError && c.error.code === "shutting_down") {
      deps.logger.warn("request ended", { requestId: c.get("requestId"), end: "shutdown", status: c.res.status, code: "shutting_down" });
    }
  };
}
