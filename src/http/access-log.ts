import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Clock } from "../deps";
import type { Logger } from "../logger";

/** One line per request: who (key id, never the key), what (method, path, model), outcome and latency. No bodies. */
export function accessLog({ logger, clock }: { logger: Logger; clock: Clock }): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const started = clock.now();
    await next();
    if (c.req.path === "/healthz" || c.req.path === "/readyz") return;
    const usage = c.get("usage");
    logger.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: clock.now() - started,
      keyId: c.get("apiKey")?.id,
      model: usage?.model ?? undefined,
      stream: usage?.stream || undefined,
    });
  };
}
