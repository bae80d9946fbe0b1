import { serve, type ServerType } from "@hono/node-server";
import type { Server } from "node:http";
import type { Gateway } from "./boot";

/** Serves the gateway on node:http and wires SIGTERM/SIGINT to a bounded, graceful drain. */
export async function serveOnNode(gw: Gateway, port: number, host: string): Promise<{ server: ServerType; url: string; stop: () => Promise<void> }> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: gw.app.fetch, port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const started = Date.now();
      gw.logger.info("shutting down: no new connections, draining open requests", { timeoutMs: gw.config.SHUTDOWN_TIMEOUT_MS });
      const http = server as Server;
      const closed = new Promise<void>((r) => http.close(() => r()));
      http.closeIdleConnections?.();
      const idleTimer = setInterval(() => http.closeIdleConnections?.(), 250);
      const timedOut = await Promise.race([closed.then(() => false), delay(gw.config.SHUTDOWN_TIMEOUT_MS).then(() => true)]);
      clearInterval(idleTimer);
      if (timedOut) {
        gw.logger.warn("drain timeout reached: closing remaining connections");
        http.closeAllConnections?.();
      }
      const left = await gw.pending.drain(Math.max(1000, gw.config.SHUTDOWN_TIMEOUT_MS - (Date.now() - started)));
      if (left > 0) gw.logger.error("usage writes still pending at exit", { count: left });
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
  return { server, url, stop };
}

function delay(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
