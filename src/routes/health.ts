import type { Hono } from "hono";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { scopeOf, type Deps } from "../deps";

/**
 * `/healthz`: the process serves. `/readyz`: it can also reach its database and, where the runtime looks AWS
 * credentials up itself (Node, Bun), it holds usable ones. Neither needs a key. While a server drains, its drain
 * gate answers every request, these included, with 503.
 */
export function registerHealth(app: Hono<AppEnv>, deps: Deps): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checkCredentials = deps.readiness?.credentials;
    const [database, credentials] = await Promise.all([
      (async () => scopeOf(c.env, deps).db.execute(sql`select 1`))().then(
        () => "ok" as const,
        (err: unknown) => {
          deps.logger.warn("readiness check failed", { error: err instanceof Error ? err.message : String(err) });
          return "unreachable" as const;
        },
      ),
      checkCredentials
        ? checkCredentials().then(
            (ok) => (ok ? ("ok" as const) : ("missing" as const)),
            () => "missing" as const,
          )
        : undefined,
    ]);
    const ready = database === "ok" && (credentials === undefined || credentials === "ok");
    return c.json({ status: ready ? "ok" : "unavailable", database, credentials }, ready ? 200 : 503);
  });
}
