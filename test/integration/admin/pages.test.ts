/**
 * The console's pages, server-rendered, without a browser: each page for a signed-in admin, the spend table equal to
 * the report for a period, the period words, a key created (shown once), refused and revoked by form posts with the
 * CSRF token, and the Requests page without any prompt text.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageReport } from "../../../src/db/report";
import { apiKeys, usageEvents } from "../../../src/db/schema";
import { reportJson } from "../../../src/report/format";
import { randomEmail, randomTeam, testBackends, type TestDb } from "../../support/db";
import { adminHarness, newKey, seedUsage, type AdminHarness } from "./admin-harness";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
afterAll(async () => sim.close());

/** The text of each cell of the table with this id, row by row (tags dropped, entities decoded). */
function tableCells(html: string, id: string, part: "tbody" | "tfoot" = "tbody"): string[][] {
  const table = html.slice(html.indexOf(`id="${id}"`));
  const body = table.slice(table.indexOf(`<${part}>`), table.indexOf(`</${part}>`));
  const decode = (s: string) =>
    s
      .replace(/<[^>]+>/g, "")
      .replace(/&amp;/g, "&")
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/\s+/g, " ")
      .trim();
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1])));
}

describe.each(testBackends)("admin pages on $name", ({ open }) => {
  let t: TestDb;
  let h: AdminHarness;
  let cookie: string;
  let csrf: string;
  const team = randomTeam();
  const users = [randomEmail("ann"), randomEmail("ben"), randomEmail("cid")];
  beforeAll(async () => {
    t = await open();
    h = adminHarness(t.db, { bedrockUrl: sim.url, env: { KEY_CACHE_TTL_MS: "0" } });
    ({ cookie, csrf } = await h.signIn());
    const now = Date.now();
    const day = (n: number) => new Date(now - n * 86_400_000).toISOString();
    const keys = await Promise.all(users.map((u) => newKey(t.db, u, team)));
    await seedUsage(
      t.db,
      keys.flatMap((k, i) => [
        { keyId: k.id, user: users[i], team, model: "claude-sonnet-4-5", at: day(0), costMicros: 1_000_001 * (i + 1) },
        { keyId: k.id, user: users[i], team, model: "nova-lite", at: day(2), costMicros: 12_345 + i },
        { keyId: k.id, user: users[i], team, model: "nova-lite", at: day(40), costMicros: 5 },
      ]),
    );
  });
  afterAll(async () => t.close());

  const get = (path: string) => h.request(path, { headers: { cookie } });
  const post = (path: string, fields: Record<string, string>) =>
    h.request(path, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    });

  it.each(["/admin", "/admin/budgets", "/admin/keys", "/admin/models", "/admin/requests"])("%s renders for a signed-in admin", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('aria-current="page"');
    expect(html).toContain("Sign out");
  });

  it.each([
    { period: "7d", by: "user" },
    { period: "30d", by: "model" },
    { period: "this-month", by: "key" },
  ])("the spend table for period $period by $by equals the report, to the micro-dollar", async ({ period, by }) => {
    const res = await get(`/admin?period=${period}&by=${by}&team=${team}`);
    const html = await res.text();
    const days = period === "7d" ? 7 : 30;
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const since =
      period === "this-month" ? new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)) : new Date(today - (days - 1) * 86_400_000);
    const until = period === "this-month" ? new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1)) : new Date(today + 86_400_000);
    const dim = by as "user" | "model" | "key";
    const report = reportJson(await usageReport(t.db, { by: [dim], since, until, team }), [dim]);
    const cells = tableCells(html, "report");
    expect(cells.length).toBe(report.length);
    expect(cells.map((c) => c.at(-1))).toEqual(report.map((r) => r.cost_usd));
    expect(cells.map((c) => c[0])).toEqual(report.map((r) => r[dim]));
    expect(html).toContain(`--since ${since.toISOString().slice(0, 10)} --until ${until.toISOString().slice(0, 10)} --by ${by} --team &#39;${team}&#39;`);
  });

  it("a custom range includes its end date; a bad one says which field is wrong", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const html = await (await get(`/admin?period=custom&from=${today}&to=${today}&team=${team}`)).text();
    expect(tableCells(html, "report", "tfoot")[0].at(-1)).toBe("6.000006");
    const bad = await get(`/admin?period=custom&from=2026-02-30&to=${today}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("From must be a date");
  });

  it("a key created on the Keys page is shown once with the OPENAI lines; a bad field re-shows the form", async () => {
    const user = randomEmail("page");
    const res = await post("/admin/keys", { user, team, name: "laptop", budget_daily_usd: "3" });
    expect(res.status).toBe(201);
    const html = await res.text();
    const key = /id="new-key">(bgw_live_[0-9A-Za-z]+)</.exec(html)![1];
    expect(html).toContain(`OPENAI_BASE_URL=http://127.0.0.1:8080/v1\nOPENAI_API_KEY=${key}`);
    expect(html).toContain('data-copy="new-key"');
    const list = await (await get("/admin/keys")).text();
    expect(list).toContain(key.slice(0, 15));
    expect(list).not.toContain(key);
    const bad = await post("/admin/keys", { user: "not an email" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("user must be the owner&#39;s email address");
  });

  it("revoking asks first, then the key is refused", async () => {
    const k = await newKey(t.db, randomEmail("revoke"), team);
    const confirm = await (await get(`/admin/keys/${k.id}/revoke`)).text();
    expect(confirm).toContain(`Revoke key <code>${k.prefix}</code>?`);
    expect((await t.db.select().from(apiKeys).where(eq(apiKeys.id, k.id)))[0].revokedAt).toBeNull();
    const done = await post(`/admin/keys/${k.id}/revoke`, {});
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/admin/keys?done=revoked&key=${k.prefix}`);
    const chat = await h.post("/v1/chat/completions", k.key, { model: "nova-lite", messages: [{ role: "user", content: "hi" }] });
    expect(chat.status).toBe(401);
  });

  it("the Requests page lists rows without prompt or completion text", async () => {
    const k = await newKey(t.db, randomEmail("req"), team);
    const secret = `SECRET-PROMPT-${Math.random().toString(36).slice(2)}`;
    expect((await h.post("/v1/chat/completions", k.key, { model: "nova-lite", messages: [{ role: "user", content: secret }] })).status).toBe(200);
    await h.settle();
    const html = await (await get(`/admin/requests?team=${team}&key=${k.prefix}`)).text();
    const rows = tableCells(html, "requests");
    expect(rows).toHaveLength(1);
    const [row] = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, k.id));
    expect(rows[0]).toContain(row.requestId);
    expect(html).not.toContain(secret);
  });

  it("budgets: a team over its monthly budget is marked in words", async () => {
    const k = await newKey(t.db, randomEmail("budget"), team);
    await t.db.update(apiKeys).set({ budgetDailyMicros: 1_000_000 }).where(eq(apiKeys.id, k.id));
    const html = await (await get("/admin/budgets")).text();
    const row = html.slice(html.indexOf(`data-name="${k.prefix}"`));
    expect(row.slice(0, row.indexOf("</tr>"))).toContain("0.000000 of 1.000000 USD · 0%");
  });
});
