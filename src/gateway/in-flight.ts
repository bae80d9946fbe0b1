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
    // One signal for the request's whole life (a stream's relay reads it after the handler has returned): the
    // client's abort is forwarded to it, and the stop aborts it itself, so a request holds one controller and one
    // listener, not a controller for the stop and a link of two (see http/linked-signal.ts on why not AbortSignal.any).
    // Whichever comes first gives the reason. The listener is never removed: it goes with the request.
    const client = c.req.raw.signal;
    const controller = new AbortController();
    if (client.aborted) controller.abort(client.reason);
    else client.addEventListener("abort", () => controller.abort(client.reason), { once: true });
    let stopped = false;
    const cut = () => {
      stopped = true;
      controller.abort(GatewayError.shuttingDown());
    };
    c.set("signal", controller.signal);
    // Registered only while the handler runs: a stream's relay registers itself once it has taken over.
    let unregister: (() => void) | undefined;
    if (shutdown.requested) cut();
    else unregister = shutdown.onShutdown(cut);
    try {
      await next();
    } finally {
      unregister?.();
    }
    if (stopped && c.error instanceof GatewayError && c.error.code === "shutting_down") {
      deps.logger.warn("request ended", { requestId: c.get("requestId"), end: "shutdown", status: c.res.status, code: "shutting_down" });
    }
  };
}
