import { DOOR_ERROR_SHAPES } from "../../app";
import { renderError } from "../../doors/error-shapes";
import { GatewayError } from "../../errors";
import type { Gateway } from "./boot";

/**
 * While draining, a request that still arrives (on a kept-alive connection) is answered 503 with
 * `connection: close` and `retry-after`, so clients and load balancers move on, in the error shape of the door it
 * was sent to (Anthropic's 529 `overloaded_error`, Bedrock's ServiceUnavailableException), which each door's SDKs retry.
 */
export function drainGate<E>(fetch: (request: Request, env: E) => Response | Promise<Response>) {
  let draining = false;
  return {
    start: () => void (draining = true),
    fetch(request: Request, env: E): Response | Promise<Response> {
      if (!draining) return fetch(request, env);
      const err = GatewayError.shuttingDown();
      const { status, headers, body } = renderError(new URL(request.url).pathname, err, DOOR_ERROR_SHAPES);
      return Response.json(body, { status, headers: { ...headers, connection: "close" } });
    },
  };
}

/** How long the requests and streams ended at the drain deadline get to send their error before the connections close. */
const STREAM_END_GRACE_MS = 1_000;

/**
 * The graceful stop shared by Node and Bun: stop accepting, let open requests and streams finish within
 * SHUTDOWN_TIMEOUT_MS, then end the streams still open (each sends its door's error event, cancels its Bedrock
 * stream and settles its row as `shutdown`) and the requests still waiting for Bedrock (their call aborted, the
 * door's 503 `shutting_down` answered, the row settled the same), close what is left, flush pending usage rows,
 * close the database.
 * SIGTERM and SIGINT run it once and exit 0 (1 if it failed).
 */
export function gracefulShutdown(
  gw: Gateway,
  server: { drain(): Promise<void>; closeAll(): void | Promise<void> },
  gate?: { start(): void },
): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const started = Date.now();
      const timeoutMs = gw.config.SHUTDOWN_TIMEOUT_MS;
      gw.logger.info("shutting down: no new connections, draining open requests", { timeoutMs });
      gate?.start();
      // A drain that fails is handled as one that ran out of time.
      const drained = server.drain().then(
        () => true,
        (err) => {
          gw.logger.warn("drain failed", { error: err });
          return false;
        },
      );
      const timedOut = !(await within(drained, timeoutMs));
      if (timedOut) {
        gw.logger.warn("drain timeout reached: ending open requests and streams, closing remaining connections", { open: gw.shutdown.open });
        // Their rows are settled here, before the database is flushed and closed below.
        if (gw.shutdown.trigger() > 0) await within(drained, STREAM_END_GRACE_MS);
        await server.closeAll();
      }
      // No admission comes after this point: unused leased room goes back before the database closes.
      await gw.deps.admissionLeases?.releaseAll();
      // Room the database would not take back stays reserved until its minute, day or month ends: say which.
      for (const release of gw.deps.admissionLeases?.unreleased() ?? []) gw.logger.error("admission lease not given back at exit", { release });
      const left = await gw.pending.drain(Math.max(1000, timeoutMs - (Date.now() - started)));
      if (left > 0) gw.logger.error("background work still pending at exit", { count: left });
      // Rows the database never took (it is down): log each, so they can be replayed (idempotent on request_id).
      for (const row of gw.deps.usageWriter?.pendingRows() ?? []) gw.logger.error("usage row not written at exit", { usage: row });
      await gw.database.close();
      gw.logger.info("stopped");
    })());

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      stop().then(
        () => process.exit(0),
        (err) => {
          gw.logger.error("shutdown failed", { error: err });
          process.exit(1);
        },
      );
    });
  }
  return stop;
}

/** What `drained` resolved to, or false when it took longer than `ms`. */
async function within(drained: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([drained, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return settled;
}
