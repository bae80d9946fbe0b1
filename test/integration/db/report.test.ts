// The usage report query on both backends: every grouping, JWT callers, UTC days, the window's edges, and totals that
// equal the inserted rows to the micro-dollar.
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, type CreatedKey } from "../../../src/db/keys";
import { reportTotals, usageReport } from "../../../src/db/report";
import { apiKeys, auditLog, spendLedger, usageEvents } from "../../../src/db/schema";
import { insertUsageBatch, type UsageRow } from "../../../src/db/usage";
import { randomId } from "../../../src/deps";
import { randomEmail, randomTeam, testBackends, type TestDb } from "../../support/db";

// A window of its own, far from other tests' rows (which are written at the current time), so unfiltered groupings
// (a missing team, JWT callers) see only this test's rows.
const BASE = Date.UTC(1990 + Math.floor(Math.random() * 20), Math.floor(Math.random() * 12), 10, 0, 0, 0) + Math.floor(Math.random() * 1000) * 1000;
const HOUR = 3_600_000;
const since = new Date(BASE);
const until = new Date(BASE + 2 * 86_400_000);

describe.each(testBackends)("usage report on $name", ({ open }) => {
  let t: TestDb;
  const team = randomTeam();
  const alice = randomEmail("alice");
  const bob = randomEmail("bob");
  const carol = randomEmail("carol"); // a JWT caller: no key
  let ka: CreatedKey;
  let ka2: CreatedKey;
  let kb: CreatedKey;
  const rows: UsageRow[] = [];

  const row = (over: Partial<UsageRow> & Pick<UsageRow, "userEmail" | "keyId" | "costMicros">, hoursIn: number): UsageRow => ({
    requestId: `req_report_${randomId(20)}`,
    team,
    endpoint: "chat.completions",
    model: "claude-sonnet-4-5",
    stream: false,
    status: "ok",
    httpStatus: 200,
    inputTokens: 100,
    outputTokens: 10,
    latencyMs: 5,
    createdAt: new Date(BASE + hoursIn * HOUR),
    ...over,
  });

  beforeAll(async () => {
    t = await open();
    const clock = { now: () => BASE };
    ka = await createKey(t.db, { user: alice, team, name: "laptop", actor: "test" }, clock);
    ka2 = await createKey(t.db, { user: alice, team, name: "ci", actor: "test" }, clock);
    kb = await createKey(t.db, { user: bob, team: null, actor: "test" }, clock);
    rows.push(
      row({ userEmail: alice, keyId: ka.id, costMicros: 2_738, cacheReadTokens: 7 }, 1),
      row({ userEmail: alice, keyId: ka.id, costMicros: 1_000_001, model: "nova-pro", cacheWriteTokens: 3 }, 2),
      // Refused by policy: an error row with cost 0 still counts as a request.
      row(
        { userEmail: alice, keyId: ka2.id, costMicros: 0, status: "error", httpStatus: 429, errorCode: "insufficient_quota", inputTokens: 0, outputTokens: 0 },
        3,
      ),
      row({ userEmail: bob, keyId: kb.id, team: null, costMicros: 1, status: "aborted", stream: true }, 4),
      // The last instant of the first UTC day, and the first of the next.
      row({ userEmail: bob, keyId: kb.id, team: null, costMicros: 333_333, model: "nova-pro" }, 24 - hoursIntoDay() - 1 / 3_600_000),
      row({ userEmail: carol, keyId: null, auth: "jwt", costMicros: 5 }, 24 - hoursIntoDay()),
      row({ userEmail: carol, keyId: null, auth: "jwt", costMicros: 7, team: null }, 30),
      // Outside the window: one at `until` (exclusive), one just before `since`.
      row({ userEmail: alice, keyId: ka.id, costMicros: 900_000_000 }, 48),
      row({ userEmail: alice, keyId: ka.id, costMicros: 800_000_000 }, -1 / 3_600_000),
    );
    expect(await insertUsageBatch(t.db, rows)).toBe(rows.length);
  });
  afterAll(async () => {
    const keyIds = [ka.id, ka2.id, kb.id];
    await t.db.delete(usageEvents).where(
      inArray(
        usageEvents.requestId,
        rows.map((r) => r.requestId),
      ),
    );
    const subjects = [...keyIds.map((id) => `key:${id}`), `user:${alice}`, `user:${bob}`, `user:${carol}`, `team:${team}`];
    await t.db.delete(spendLedger).where(inArray(spendLedger.subject, subjects));
    await t.db.delete(auditLog).where(inArray(auditLog.target, keyIds));
    await t.db.delete(apiKeys).where(inArray(apiKeys.id, keyIds));
    await t.close();
  });

  const inWindow = () => rows.filter((r) => r.createdAt!.getTime() >= since.getTime() && r.createdAt!.getTime() < until.getTime());
  const costOf = (pred: (r: UsageRow) => boolean) =>
    inWindow()
      .filter(pred)
      .reduce((s, r) => s + r.costMicros, 0);

  it("by user: requests (errors included), tokens and cost; totals equal the inserted rows exactly", async () => {
    const report = await usageReport(t.db, { by: ["user"], since, until });
    expect(report).toEqual([
      {
        groups: { user: alice },
        requests: 3,
        errors: 1,
        inputTokens: 200,
        outputTokens: 20,
        cacheReadTokens: 7,
        cacheWriteTokens: 3,
        costMicros: 1_002_739,
      },
      { groups: { user: bob }, requests: 2, errors: 1, inputTokens: 200, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, costMicros: 333_334 },
      { groups: { user: carol }, requests: 2, errors: 0, inputTokens: 200, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, costMicros: 12 },
    ]);
    expect(reportTotals(report)).toMatchObject({ requests: inWindow().length, costMicros: costOf(() => true) });
  });

  it("by key: the prefix, name and owner; JWT callers as jwt:EMAIL", async () => {
    const report = await usageReport(t.db, { by: ["key"], since, until });
    expect(report.map((r) => [r.groups.key, r.keyName, r.keyUser, r.requests, r.costMicros])).toEqual([
      [ka.prefix, "laptop", alice, 2, 1_002_739],
      [kb.prefix, null, bob, 2, 333_334],
      [`jwt:${carol}`, null, carol, 2, 12],
      [ka2.prefix, "ci", alice, 1, 0],
    ]);
  });

  it("by team,user: a missing team is null, and a team's rows stay together", async () => {
    const report = await usageReport(t.db, { by: ["team", "user"], since, until });
    expect(report.map((r) => [r.groups.team, r.groups.user, r.requests, r.costMicros])).toEqual([
      [team, alice, 3, 1_002_739],
      [team, carol, 1, 5],
      [null, bob, 2, 333_334],
      [null, carol, 1, 7],
    ]);
  });

  it("by day (UTC), ascending, and by user,model", async () => {
    const days = await usageReport(t.db, { by: ["day"], since, until });
    const day0 = new Date(BASE).toISOString().slice(0, 10);
    const day1 = new Date(BASE + 86_400_000).toISOString().slice(0, 10);
    expect(days.map((r) => [r.groups.day, r.requests, r.costMicros])).toEqual([
      [day0, 5, 2_738 + 1_000_001 + 1 + 333_333],
      [day1, 2, 12],
    ]);
    const byUserModel = await usageReport(t.db, { by: ["user", "model"], since, until, user: alice });
    expect(byUserModel.map((r) => [r.groups.user, r.groups.model, r.requests, r.costMicros])).toEqual([
      [alice, "nova-pro", 1, 1_000_001],
      [alice, "claude-sonnet-4-5", 2, 2_738],
    ]);
  });

  it("filters by user and team; since is inclusive and until exclusive", async () => {
    const byTeam = await usageReport(t.db, { by: ["model"], since, until, team });
    expect(reportTotals(byTeam)).toMatchObject({ requests: 4, costMicros: costOf((r) => r.team === team) });
    const wide = await usageReport(t.db, { by: ["user"], since: new Date(BASE - HOUR), until: new Date(BASE + 48 * HOUR + 1), user: alice });
    expect(wide).toMatchObject([{ requests: 5, costMicros: 1_002_739 + 900_000_000 + 800_000_000 }]);
    const edge = await usageReport(t.db, { by: ["user"], since: new Date(BASE + 48 * HOUR), until: new Date(BASE + 48 * HOUR + 1), user: alice });
    expect(edge).toMatchObject([{ requests: 1, costMicros: 900_000_000 }]);
    expect(await usageReport(t.db, { by: ["user"], since, until, user: randomEmail() })).toEqual([]);
  });
});

// How far BASE is into its UTC day, in hours (BASE is a midnight plus up to 1,000 seconds).
function hoursIntoDay(): number {
  return (BASE % 86_400_000) / HOUR;
}
