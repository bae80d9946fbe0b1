import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, type CreatedKey } from "../../../src/db/keys";
import { apiKeys, auditLog, usageEvents } from "../../../src/db/schema";
import { insertUsage, insertUsageBatch, usageSummary, type UsageRow } from "../../../src/db/usage";
import { randomId } from "../../../src/deps";
import { randomEmail, randomTeam, testBackends, type TestDb } from "../../support/db";

const clock = { now: () => Date.now() };

describe.each(testBackends)("usage on $name", ({ open }) => {
  let t: TestDb;
  const keys: CreatedKey[] = [];

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    const ids = keys.map((k) => k.id);
    if (ids.length > 0) {
      await t.db.delete(usageEvents).where(inArray(usageEvents.keyId, ids));
      await t.db.delete(auditLog).where(inArray(auditLog.target, ids));
      await t.db.delete(apiKeys).where(inArray(apiKeys.id, ids));
    }
    await t.close();
  });

  async function newKey(user = randomEmail(), team: string | null = randomTeam()) {
    const k = await createKey(t.db, { user, team, actor: "test" }, clock);
    keys.push(k);
    return k;
  }

  const row = (k: CreatedKey, over: Partial<UsageRow> = {}): UsageRow => ({
    requestId: `req_${randomId(24)}`,
    keyId: k.id,
    userEmail: k.user,
    team: k.team,
    endpoint: "chat.completions",
    model: "claude-sonnet",
    bedrockModelId: "anthropic.claude-sonnet-4-v1:0",
    stream: false,
    status: "ok",
    httpStatus: 200,
    inputTokens: 10,
    outputTokens: 5,
    costMicros: 123,
    latencyMs: 120,
    ...over,
  });

  it("insertUsage is idempotent on request_id and keeps the first row", async () => {
    const k = await newKey();
    const first = row(k, { outputTokens: 7 });
    expect(await insertUsage(t.db, first)).toBe(true);
    expect(await insertUsage(t.db, { ...first, outputTokens: 99 })).toBe(false);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.requestId, first.requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      keyId: k.id,
      outputTokens: 7,
      costMicros: 123,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      estimated: false,
      ttftMs: null,
      stopReason: null,
    });
    expect(rows[0].createdAt).toBeInstanceOf(Date);
  });

  it("insertUsageBatch skips duplicates, inside the batch and already stored", async () => {
    const k = await newKey();
    const a = row(k);
    const b = row(k, { stream: true, status: "aborted", estimated: true, ttftMs: 40 });
    await insertUsage(t.db, a);
    expect(await insertUsageBatch(t.db, [a, b, b, row(k)])).toBe(2);
    expect(await insertUsageBatch(t.db, [])).toBe(0);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, k.id));
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.requestId === b.requestId)).toMatchObject({ stream: true, status: "aborted", estimated: true, ttftMs: 40 });
  });

  it("summarises requests, tokens and cost by user, team, model and key", async () => {
    const team = randomTeam();
    const alice = await newKey(randomEmail("alice"), team);
    const alice2 = await newKey(alice.user, team);
    const bob = await newKey(randomEmail("bob"), team);
    const since = new Date(Date.now() - 3_600_000);
    const old = new Date(since.getTime() - 86_400_000);
    await insertUsageBatch(t.db, [
      row(alice, { inputTokens: 100, outputTokens: 10, cacheReadTokens: 3, costMicros: 500000 }),
      row(alice2, { inputTokens: 200, outputTokens: 20, cacheWriteTokens: 4, costMicros: 250000, model: "nova-pro" }),
      row(alice, { status: "error", httpStatus: 429, errorCode: "rate_limit_exceeded", inputTokens: 0, outputTokens: 0, costMicros: 0 }),
      row(bob, { inputTokens: 1, outputTokens: 2, costMicros: 1 }),
      row(bob, { inputTokens: 1000, costMicros: 100000000, createdAt: old }), // before `since`
    ]);

    const byUser = await usageSummary(t.db, { groupBy: "user", since, team });
    expect(byUser).toEqual([
      {
        group: alice.user,
        label: alice.user,
        requests: 3,
        errors: 1,
        inputTokens: 300,
        outputTokens: 30,
        cacheReadTokens: 3,
        cacheWriteTokens: 4,
        costMicros: 750000,
      },
      {
        group: bob.user,
        label: bob.user,
        requests: 1,
        errors: 0,
        inputTokens: 1,
        outputTokens: 2,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costMicros: 1,
      },
    ]);

    const byTeam = await usageSummary(t.db, { groupBy: "team", since, team });
    expect(byTeam).toMatchObject([{ group: team, requests: 4, inputTokens: 301, costMicros: 750001 }]);

    const allTime = await usageSummary(t.db, { groupBy: "team", team });
    expect(allTime).toMatchObject([{ group: team, requests: 5, inputTokens: 1301 }]);

    const byModel = await usageSummary(t.db, { groupBy: "model", since, team });
    expect(byModel.map((r) => [r.group, r.requests, r.costMicros])).toEqual([
      ["claude-sonnet", 3, 500001],
      ["nova-pro", 1, 250000],
    ]);

    const byKey = await usageSummary(t.db, { groupBy: "key", since, user: alice.user });
    expect(byKey.map((r) => [r.group, r.label, r.requests])).toEqual([
      [alice.id, alice.prefix, 2],
      [alice2.id, alice2.prefix, 1],
    ]);

    const until = await usageSummary(t.db, { groupBy: "user", until: since, team });
    expect(until).toMatchObject([{ group: bob.user, requests: 1, costMicros: 100000000 }]);
  });
});
