import type { Gateway } from "./boot";

/**
 * The graceful stop shared by Node and Bun: stop accepting, let open requests and streams finish within
 * SHUTDOWN_TIMEOUT_MS (then close what is left), flush pending usage rows, close the database. SIGTERM and
 * SIGINT run it once and exit 0 (1 if it failed).
 */
export function gracefulShutdown(
  gw: Gateway,
  server: { drain(): Promise<void>; closeAll(): void | Promise<void> },
): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const started = Date.now();
      const timeoutMs = gw.config.SHUTDOWN_TIMEOUT_MS;
      gw.logger.info("shutting down: no new connections, draining open requests", { timeoutMs });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        server.drain().then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        gw.logger.warn("drain timeout reached: closing remaining connections");
        await server.closeAll();
      }
      const left = await gw.pending.drain(Math.max(1000, timeoutMs - (Date.now() - started)));
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
  return stop;
}
