import type { Hono } from "hono";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../app-env";
import { scopeOf, type Deps } from "../deps";

/** `/healthz`: the process serves. `/readyz`: it can also reach its database. Neither needs a key. */
export function registerHealth(app: Hono<AppEnv>, deps: Deps): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await scopeOf(c.env, deps).db.execute(sql`select 1`);
      return c.json({ status: "ok", database: "ok" });
    } catch (err) {
      deps.logger.warn("readiness check failed", { error: err instanceof Error ? err.message : String(err) });
      return c.json({ status: "unavailable", database: "unreachable" }, 503);
    }
  });
}
