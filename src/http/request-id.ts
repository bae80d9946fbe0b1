import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Ids } from "../deps";

const INBOUND = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives every request an id (a well-formed inbound `x-request-id` is kept for tracing) and echoes it on the response. */
export function requestId({ ids }: { ids: Ids }): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const inbound = c.req.header("x-request-id");
    const id = inbound && INBOUND.test(inbound) ? inbound : ids.requestId();
    c.set("requestId", id);
    c.header("x-request-id", id);
    await next();
    if (!c.res.headers.has("x-request-id")) {
      try {
        c.res.headers.set("x-request-id", id);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set("x-request-id", id);
      }
    }
  };
}
