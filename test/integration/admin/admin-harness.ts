/** An in-process gateway with the admin console on, and helpers to sign in and to seed usage rows. */
import type { Db } from "../../../src/db/client";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { createHarness } from "../faults/app-harness";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

export type AdminHarness = ReturnType<typeof adminHarness>;

export function adminHarness(db: Db, opts: { env?: Record<string, string>; bedrockUrl?: string } = {}) {
  const h = createHarness({ db, bedrockUrl: opts.bedrockUrl, env: { ADMIN_TOKEN, ...opts.env } });
  const request = (path: string, init: RequestInit & { base?: string } = {}) => h.app.request(`${init.base ?? "http://127.0.0.1:8080"}${path}`, init);
  return {
    ...h,
    request,
    /** Signs in with a form post, as the browser does; returns the cookie pair, the Set-Cookie header and the CSRF token. */
    async signIn(token = ADMIN_TOKEN, init: { base?: string; headers?: Record<string, string> } = {}) {
      const res = await request("/admin/login", {
        ...init,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...init.headers },
        body: new URLSearchParams({ token }).toString(),
      });
      const setCookie = res.headers.get("set-cookie") ?? "";
      const cookie = setCookie.split(";")[0];
      let csrf = "";
      if (res.status === 303) {
        const s = await request("/admin/api/session", { base: init.base, headers: { cookie, ...init.headers } });
        csrf = ((await s.json()) as { csrf_token: string }).csrf_token;
      }
      return { res, setCookie, cookie, csrf };
    },
  };
}

export type SeedRow = {
  keyId: string | null;
  user: string;
  team: string | null;
  model: string;
  at: string;
  costMicros: number;
  inputTokens?: number;
  outputTokens?: number;
  status?: "ok" | "error";
};

/** Usage rows written straight to the table, as settled requests leave them. */
export async function seedUsage(db: Db, rows: SeedRow[]): Promise<void> {
  await db.insert(usageEvents).values(
    rows.map((r) => ({
      requestId: `req_seed_${randomId(16)}`,
      keyId: r.keyId,
      auth: r.keyId ? ("key" as const) : ("jwt" as const),
      userEmail: r.user,
      team: r.team,
      endpoint: "chat.completions",
      model: r.model,
      status: r.status ?? ("ok" as const),
      httpStatus: r.status === "error" ? 500 : 200,
      inputTokens: r.inputTokens ?? 100,
      outputTokens: r.outputTokens ?? 50,
      costMicros: r.costMicros,
      latencyMs: 120,
      ttftMs: 40,
      createdAt: new Date(r.at),
    })),
  );
}

export const newKey = (db: Db, user: string, team: string | null = null) => createKey(db, { user, team, actor: "test" }, systemClock);
