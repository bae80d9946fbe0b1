// `bedrock-gateway usage report` in-process on Postgres and PGlite: JSON, CSV and table; two-way breakdowns; JWT
// callers; the default window; totals equal to the inserted rows to the micro-dollar.
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, type CreatedKey } from "../../../src/db/keys";
import { apiKeys, auditLog, spendLedger, usageEvents } from "../../../src/db/schema";
import { insertUsageBatch, type UsageRow } from "../../../src/db/usage";
import { randomId } from "../../../src/deps";
import { randomEmail, randomTeam } from "../../support/db";
import { cliBackends, runInProcess, type CliBackend } from "./cli-harness";

const DAY = 86_400_000;
// A window of its own in the past (other tests write at the current time); the clock is set just after it.
const BASE = Date.UTC(1980 + Math.floor(Math.random() * 9), Math.floor(Math.random() * 12), 3, 0, 0, 0);
const NOW = BASE + 10 * DAY;
const SINCE = new Date(BASE).toISOString();
const UNTIL = new Date(BASE + 5 * DAY).toISOString();
const TOTAL_MEMBERS = ["requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"];

describe.each(cliBackends)("usage report on $name", ({ open }) => {
  let b: CliBackend;
  const team = randomTeam();
  const alice = randomEmail("alice");
  const bob = randomEmail("bob");
  const jwtUser = randomEmail("jwt");
  let ka: CreatedKey;
  let kb: CreatedKey;
  const rows: UsageRow[] = [];
  const run = (args: string[]) => runInProcess(args, b.env, { now: () => NOW });
  const report = (...args: string[]) => run(["usage", "report", "--since", SINCE, "--until", UNTIL, ...args]);

  const row = (userEmail: string, keyId: string | null, costMicros: number, dayOffset: number, over: Partial<UsageRow> = {}): UsageRow => ({
    requestId: `req_clireport_${randomId(20)}`,
    keyId,
    auth: keyId === null ? "jwt" : "key",
    userEmail,
    team,
    endpoint: "chat.completions",
    model: "claude-haiku-4-5",
    stream: true,
    status: "ok",
    inputTokens: 1000,
    outputTokens: 100,
    costMicros,
    latencyMs: 9,
    createdAt: new Date(BASE + dayOffset * DAY + 3_600_000),
    ...over,
  });

  beforeAll(async () => {
    b = await open();
    const clock = { now: () => BASE };
    ka = await createKey(b.db, { user: alice, team, name: "laptop", actor: "test" }, clock);
    kb = await createKey(b.db, { user: bob, team: null, actor: "test" }, clock);
    rows.push(
      row(alice, ka.id, 2_738, 0, { cacheReadTokens: 50, cacheWriteTokens: 20 }),
      row(alice, ka.id, 1, 1, { model: "nova-micro" }),
      row(alice, ka.id, 0, 1, { status: "error", httpStatus: 429, errorCode: "rate_limit_exceeded", inputTokens: 0, outputTokens: 0 }),
      row(bob, kb.id, 999_999, 2, { team: null }),
      row(jwtUser, null, 3, 3),
      row(alice, ka.id, 5_000_000, -15), // 25 days before NOW: inside the default 30 days, outside SINCE..UNTIL
      row(alice, ka.id, 7_000_000, -21), // 31 days before NOW: outside the default window
    );
    expect(await insertUsageBatch(b.db, rows)).toBe(rows.length);
  });
  afterAll(async () => {
    await b.db.delete(usageEvents).where(
      inArray(
        usageEvents.requestId,
        rows.map((r) => r.requestId),
      ),
    );
    const subjects = [`key:${ka.id}`, `key:${kb.id}`, `user:${alice}`, `user:${bob}`, `user:${jwtUser}`, `team:${team}`];
    await b.db.delete(spendLedger).where(inArray(spendLedger.subject, subjects));
    await b.db.delete(auditLog).where(inArray(auditLog.target, [ka.id, kb.id]));
    await b.db.delete(apiKeys).where(inArray(apiKeys.id, [ka.id, kb.id]));
    await b.close();
  });

  const windowCost = () => rows.slice(0, 5).reduce((s, r) => s + r.costMicros, 0);

  it("--format json: one object per group under the --by word; requests count refusals, errors too", async () => {
    const r = await report("--by", "user", "--format", "json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual([
      { user: bob, requests: 1, errors: 0, input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: "0.999999" },
      { user: alice, requests: 3, errors: 1, input_tokens: 2000, output_tokens: 200, cache_read_tokens: 50, cache_write_tokens: 20, cost_usd: "0.002739" },
      { user: jwtUser, requests: 1, errors: 0, input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: "0.000003" },
    ]);
    for (const o of out) expect(Object.keys(o)).toEqual(["user", ...TOTAL_MEMBERS]);
    // Totals equal the inserted rows to the micro-dollar.
    const micros = out.reduce((s: number, o: { cost_usd: string }) => s + Math.round(Number(o.cost_usd) * 1e6), 0);
    expect(micros).toBe(windowCost());
    // `usage` alone and --json are the same report.
    const alias = await run(["usage", "--since", SINCE, "--until", UNTIL, "--by", "user", "--json"]);
    expect(alias.stdout).toBe(r.stdout);
  });

  it("--by key: prefix, name and owner; JWT callers as jwt:EMAIL", async () => {
    const out = JSON.parse((await report("--by", "key", "--json")).stdout);
    expect(out.map((o: Record<string, unknown>) => [o.key, o.key_name, o.key_user, o.requests, o.cost_usd])).toEqual([
      [kb.prefix, null, bob, 1, "0.999999"],
      [ka.prefix, "laptop", alice, 3, "0.002739"],
      [`jwt:${jwtUser}`, null, jwtUser, 1, "0.000003"],
    ]);
    expect(Object.keys(out[0])).toEqual(["key", "key_name", "key_user", ...TOTAL_MEMBERS]);
  });

  it("two-way breakdowns: --by team,user (a missing team is null) and --by user,model", async () => {
    const byTeam = JSON.parse((await report("--by", "team,user", "--json")).stdout);
    expect(byTeam.map((o: Record<string, unknown>) => [o.team, o.user, o.requests])).toEqual([
      [null, bob, 1],
      [team, alice, 3],
      [team, jwtUser, 1],
    ]);
    const byModel = JSON.parse((await report("--by", "user,model", "--user", alice, "--json")).stdout);
    expect(byModel.map((o: Record<string, unknown>) => [o.user, o.model, o.requests, o.errors, o.cost_usd])).toEqual([
      [alice, "claude-haiku-4-5", 2, 1, "0.002738"],
      [alice, "nova-micro", 1, 0, "0.000001"],
    ]);
  });

  it("--format csv: a header row with the JSON member names", async () => {
    const r = await report("--by", "day,team", "--format", "csv");
    expect(r.code, r.stderr).toBe(0);
    const day = (n: number) => new Date(BASE + n * DAY).toISOString().slice(0, 10);
    expect(r.lines).toEqual([
      "day,team,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd",
      `${day(0)},${team},1,0,1000,100,50,20,0.002738`,
      `${day(1)},${team},2,1,1000,100,0,0,0.000001`,
      `${day(2)},,1,0,1000,100,0,0,0.999999`,
      `${day(3)},${team},1,0,1000,100,0,0,0.000003`,
    ]);
  });

  it("the table is aligned, with a TOTAL line equal to the sum of the rows", async () => {
    const r = await report("--by", "user", "--team", team);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toBe(`Usage by user, ${SINCE} to ${UNTIL} (UTC, end exclusive)`);
    expect(r.lines[1]).toMatch(/^USER\s+REQUESTS\s+ERRORS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+COST USD$/);
    expect(r.lines.at(-1)).toMatch(/^TOTAL\s+4\s+1\s+3,000\s+300\s+50\s+20\s+0\.002742$/);
    const widths = new Set(r.lines.slice(1).map((l) => l.length));
    expect(widths.size).toBe(1);
  });

  it("defaults to the last 30 days (until now, exclusive)", async () => {
    const out = JSON.parse((await run(["usage", "report", "--user", alice, "--json"])).stdout);
    expect(out).toMatchObject([{ user: alice, requests: 4, cost_usd: "5.002739" }]);
    // The newest row is 6 days and 23 hours before NOW.
    const recent = JSON.parse((await run(["usage", "--since", "6d", "--json"])).stdout);
    expect(recent.filter((o: { user: string }) => [alice, bob, jwtUser].includes(o.user))).toEqual([]);
    expect(JSON.parse((await run(["usage", "--since", "7d", "--user", jwtUser, "--json"])).stdout)).toMatchObject([{ requests: 1 }]);
    const empty = await run(["usage", "--since", "6d", "--user", alice]);
    expect(empty.stdout).toMatch(/^No usage from /);
  });
});
