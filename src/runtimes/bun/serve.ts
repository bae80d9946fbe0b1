import type { Config } from "../../config";
import type { Gateway } from "../node/boot";
import { drainGate, gracefulShutdown } from "../node/shutdown";

// The slice of Bun's API this file uses, so the project needs no @types/bun (Bun is a dev dependency only).
type BunServer = {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string } | null;
};
type BunServeOptions = {
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
  port: number;
  hostname: string;
  idleTimeout: number;
  /** Bun 1.4+: also HTTP/2 on the same port; on plain HTTP, connections that open with the HTTP/2 preface (h2c). */
  http2?: boolean;
};
declare const Bun: { serve(options: BunServeOptions): BunServer; readonly version: string };

/** Bun's idle timeout is capped at 255 s; 0 turns it off. */
const BUN_MAX_IDLE_SECONDS = 255;

/**
 * Bun closes a connection that stays silent for `idleTimeout` seconds, including one whose response is still
 * being computed or streamed. The gateway bounds every upstream wait itself, so the socket must outlive the
 * longest silence it allows: all attempts of a non-streaming call (each up to UPSTREAM_TIMEOUT_MS, with up to
 * 2 s backoff between) and the gap between stream events (STREAM_IDLE_TIMEOUT_MS). When that exceeds Bun's
 * cap (it does with the defaults) the timeout is turned off and the gateway's own limits apply.
 */
export function bunIdleTimeoutSeconds(config: Config): number {
  const attempts = config.UPSTREAM_RETRIES + 1;
  const longestSilenceMs = Math.max(attempts * config.UPSTREAM_TIMEOUT_MS + config.UPSTREAM_RETRIES * 2_000, config.STREAM_IDLE_TIMEOUT_MS);
  const seconds = Math.ceil(longestSilenceMs / 1000) + 10;
  return seconds > BUN_MAX_IDLE_SECONDS ? 0 : seconds;
}

/**
 * Serves the gateway with Bun.serve, HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c) on one port as on
 * Node (the AWS SDK for JavaScript speaks HTTP/2 by default), and wires SIGTERM/SIGINT to a bounded, graceful
 * drain (as serveOnNode does).
 */
export function serveOnBun(gw: Gateway, port: number, host: string): { url: string; stop: () => Promise<void> } {
  const gate = drainGate((request: Request, env: { remoteAddress: string | null }) => gw.app.fetch(request, env));
  const server = Bun.serve({
    // The peer address, for the audit line (see peerAddress in ../node/boot.ts).
    fetch: (request, srv) => gate.fetch(request, { remoteAddress: srv.requestIP(request)?.address ?? null }),
    port,
    hostname: host,
    idleTimeout: bunIdleTimeoutSeconds(gw.config),
    http2: true,
  });
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;

  const stop = gracefulShutdown(
    gw,
    {
      // stop() without force stops listening and resolves once in-flight requests (open streams included) are done.
      drain: () => server.stop(false),
      closeAll: () => server.stop(true),
    },
    gate,
  );
  return { url, stop };
}
