/**
 * Governance through the app, on real Postgres and on PGlite: model allowlists at every level, rpm/tpm, budgets
 * (key, user, team) that never overspend under concurrency, exact cost, and the ledger settled with the rows.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../sim/server";
import { apiKeys, spendLedger, teams, usageEvents, users } from "../../src/db/schema";
import { staticCatalogue } from "../../src/models/catalogue";
import { costMicros } from "../../src/usage/cost";
import { testBackends, type TestDb } from "../support/db";
import { createHarness, type Harness } from "./faults/app-harness";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
afterAll(async () => sim.close());

const ask = (model: string, content = "hello", extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content }], ...extra });

describe.each(testBackends)("governance on $name", ({ open }) => {
  let t: TestDb;
  let h: Harness;
  beforeAll(async () => {
    t = await open();
    h = createHarness({ db: t.db, bedrockUrl: sim.url, batchWriter: {} });
  });
  afterAll(async () => t.close());

  const chat = (key: string, body: unknown) => h.post("/v1/chat/completions", key, body);
  const keyWith = async (policy: Partial<typeof apiKeys.$inferInsert>, opts: { team?: string } = {}) => {
    const k = await h.newKey("gov");
    if (opts.team !== undefined || Object.keys(policy).length > 0) {
      await t.db
        .update(apiKeys)
        .set({ ...policy, ...(opts.team !== undefined ? { team: opts.team } : {}) })
        .where(eq(apiKeys.id, k.id));
    }
    return k;
  };
  const rowsOfKey = async (id: string) => {
    await h.settle();
    return t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
  };

  it("a key limited to some models reaches no other, by alias, Bedrock id, profile or wildcard", async () => {
    const k = await keyWith({ allowedModels: ["nova-*", "anthropic.claude-haiku-*"] });
    expect((await chat(k.key, ask("nova-lite"))).status).toBe(200);
    expect((await chat(k.key, ask("us.amazon.nova-lite-v1:0"))).status).toBe(200);
    expect((await chat(k.key, ask("claude-haiku-4-5"))).status).toBe(200); // alias whose target id matches the wildcard
    for (const name of [
      "claude-sonnet-4-5",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
      " nova-lite",
      "NOVA-LITE",
    ]) {
      const res = await chat(k.key, ask(name));
      expect(res.status, name).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    }
    const models = (await (await h.app.request("/v1/models", { headers: { authorization: `Bearer ${k.key}` } })).json()) as { data: { id: string }[] };
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain("nova-lite");
    expect(ids).toContain("claude-haiku-4-5");
    expect(ids).not.toContain("claude-sonnet-4-5");
  });

  it("a key narrows its team's model list but cannot widen it", async () => {
    const team = `team-${Math.random().toString(36).slice(2)}`;
    await t.db.insert(teams).values({ name: team, allowedModels: ["nova-lite", "nova-micro"] });
    const wide = await keyWith({ allowedModels: ["*"] }, { team });
    expect((await chat(wide.key, ask("nova-lite"))).status).toBe(200);
    expect((await chat(wide.key, ask("nova-pro"))).status).toBe(404);
    const narrow = await keyWith({ allowedModels: ["nova-micro"] }, { team });
    expect((await chat(narrow.key, ask("nova-lite"))).status).toBe(404);
    expect((await chat(narrow.key, ask("nova-micro"))).status).toBe(200);
  });

  it("rpm: the request over the limit gets 429 rate_limit_exceeded with retry-after and OpenAI's headers", async () => {
    const k = await keyWith({ rpmLimit: 2 });
    const a = await chat(k.key, ask("nova-lite"));
    expect(a.status).toBe(200);
    expect(a.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(a.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(a.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+s$/);
    expect((await chat(k.key, ask("nova-lite"))).headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const c = await chat(k.key, ask("nova-lite"));
    // A minute boundary between the calls would reset the window; then the next one is refused instead.
    const refused = c.status === 429 ? c : await chat(k.key, ask("nova-lite"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(body.error.message).toMatch(/2 requests per minute/);
    const rows = await rowsOfKey(k.id);
    expect(rows.filter((r) => r.httpStatus === 429)).toHaveLength(1);
    expect(rows.find((r) => r.httpStatus === 429)!.costMicros).toBe(0);
  });

  it("tpm counts the input estimate plus max tokens; a request larger than the limit is refused without retry", async () => {
    const k = await keyWith({ tpmLimit: 600 });
    const ok = await chat(k.key, ask("nova-lite", "hi", { max_tokens: 100 }));
    expect(ok.status).toBe(200);
    const remaining = Number(ok.headers.get("x-ratelimit-remaining-tokens"));
    expect(remaining).toBeLessThan(500);
    expect(remaining).toBeGreaterThan(400);
    const big = await chat(k.key, ask("nova-lite", "hi", { max_tokens: 5000 }));
    expect(big.status).toBe(429);
    expect(big.headers.get("x-should-retry")).toBe("false");
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/Request too large/);
  });

  it("records cost as tokens × price to the micro-dollar, with the prices used, and settles the ledger", async () => {
    const k = await keyWith({ budgetDailyMicros: 5_000_000 });
    for (const m of ["nova-lite", "claude-sonnet-4-5"]) expect((await chat(k.key, ask(m, "count my cost please"))).status).toBe(200);
    const streamed = await chat(k.key, ask("nova-pro", "and streamed", { stream: true }));
    await streamed.text();
    const rows = await rowsOfKey(k.id);
    expect(rows).toHaveLength(3);
    const catalogue = staticCatalogue();
    let total = 0;
    for (const r of rows) {
      const pricing = catalogue.resolve(r.model)!.targets[0]!.pricing!;
      const u = { inputTokens: r.inputTokens, outputTokens: r.outputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens };
      expect(r.costMicros, r.model).toBe(costMicros(u, pricing));
      expect(r.costMicros).toBeGreaterThan(0);
      expect(r.price).toMatchObject({ input: pricing.price.input, output: pricing.price.output });
      total += r.costMicros;
    }
    const ledger = await t.db
      .select()
      .from(spendLedger)
      .where(eq(spendLedger.subject, `key:${k.id}`));
    expect(ledger.map((l) => l.spentMicros)).toEqual([total, total]);
    expect(ledger.every((l) => l.reservedMicros === 0)).toBe(true);
  });

  it("a budgeted key cannot use a model without a price; an unbudgeted one can, and its row says the cost is unknown", async () => {
    const budgeted = await keyWith({ budgetMonthlyMicros: 1_000_000 });
    const res = await chat(budgeted.key, ask("us.meta.llama3-1-8b-instruct-v1:0"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string; code: string } }).error).toMatchObject({ param: "model", code: "model_price_unknown" });
    const free = await keyWith({});
    const freeRes = await chat(free.key, ask("us.meta.llama3-1-8b-instruct-v1:0"));
    expect(freeRes.status, await freeRes.clone().text()).toBe(200);
    const [row] = await rowsOfKey(free.id);
    expect(row).toMatchObject({ costKnown: false, costMicros: 0 });
  });

  it.each(["key", "user", "team"] as const)("a %s budget refuses with 429 insufficient_quota naming the budget and its reset", async (level) => {
    const team = `team-${Math.random().toString(36).slice(2)}`;
    const k = await keyWith(level === "key" ? { budgetDailyMicros: 10 } : {}, { team });
    if (level === "user")
      await t.db.insert(users).values({ email: (await t.db.select().from(apiKeys).where(eq(apiKeys.id, k.id)))[0]!.userEmail, budgetMonthlyMicros: 10 });
    if (level === "team") await t.db.insert(teams).values({ name: team, budgetDailyMicros: 10 });
    h.deps.catalogue.invalidate();
    const res = await chat(k.key, ask("nova-lite"));
    expect(res.status).toBe(429);
    expect(res.headers.get("x-should-retry")).toBe("false");
    const err = ((await res.json()) as { error: { type: string; code: string; message: string } }).error;
    expect(err).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(err.message).toMatch(level === "user" ? /monthly budget of user/ : level === "team" ? /daily budget of team/ : /daily budget of this API key/);
    expect(err.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00Z/);
  });

  it("100 concurrent requests on two gateways against a budget that fits about 10 end with spend <= budget", async () => {
    const other = createHarness({ db: t.db, bedrockUrl: sim.url, batchWriter: {} });
    const probe = await keyWith({});
    await chat(probe.key, ask("nova-micro", "budget probe"));
    const [one] = await rowsOfKey(probe.id);
    const budget = Math.max(10, one!.costMicros) * 10;
    // The reservation counts the whole output limit, so keep it small enough for about ten to fit.
    const maxTokens = 40;
    const k = await keyWith({ budgetDailyMicros: budget });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? other : h).post("/v1/chat/completions", k.key, ask("nova-micro", "budget probe", { max_tokens: maxTokens })),
      ),
    );
    await other.settle();
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const rows = await rowsOfKey(k.id);
    expect(rows).toHaveLength(100);
    const spent = rows.reduce((n, r) => n + r.costMicros, 0);
    expect(spent).toBeLessThanOrEqual(budget);
    const [day] = await t.db
      .select({ spent: spendLedger.spentMicros, reserved: spendLedger.reservedMicros })
      .from(spendLedger)
      .where(sql`${spendLedger.subject} = ${`key:${k.id}`} and ${spendLedger.period} like 'd%'`);
    expect(day).toEqual({ spent, reserved: 0 });
  });

  it("expired and revoked keys answer 401 invalid_api_key", async () => {
    const expired = await keyWith({ expiresAt: new Date(Date.now() - 1000) });
    const revoked = await keyWith({ revokedAt: new Date() });
    for (const k of [expired, revoked]) {
      const res = await chat(k.key, ask("nova-lite"));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    }
  });

  it("a key without limits at any level gets no rate-limit headers", async () => {
    const k = await keyWith({});
    const res = await chat(k.key, ask("nova-lite"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
    expect(res.headers.get("x-ratelimit-limit-tokens")).toBeNull();
  });
  it("GET /v1/usage shows the caller's spend today and this month, its limits and what remains, per level", async () => {
    const team = `team-${Math.random().toString(36).slice(2)}`;
    await t.db.insert(teams).values({ name: team, budgetMonthlyMicros: 50_000_000, rpmLimit: 1000 });
    const k = await keyWith({ budgetDailyMicros: 2_000_000, tpmLimit: 100_000 }, { team });
    expect((await chat(k.key, ask("nova-lite", "spend a little"))).status).toBe(200);
    const [row] = await rowsOfKey(k.id);
    const res = await h.app.request("/v1/usage", { headers: { authorization: `Bearer ${k.key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    const spent = (row!.costMicros / 1e6).toFixed(6);
    expect(body).toMatchObject({
      auth: "key",
      key_prefix: k.prefix,
      team,
      spend: { day_usd: spent, month_usd: spent },
      limits: { tpm: 100_000, budget_daily_usd: "2.000000", budget_monthly_usd: null },
      remaining: { budget_daily_usd: (2 - row!.costMicros / 1e6).toFixed(6), budget_monthly_usd: null },
    });
    expect(body.levels.team).toMatchObject({ spend: { month_usd: spent }, limits: { rpm: 1000, budget_monthly_usd: "50.000000" } });
    // Reading one's usage is not a request to Bedrock: no usage row.
    expect(await rowsOfKey(k.id)).toHaveLength(1);
  });
});
