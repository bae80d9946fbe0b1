import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, type CreatedKey } from "../../../src/db/keys";
import { apiKeys, auditLog, usageEvents } from "../../../src/db/schema";
import { insertUsage, insertUsageBatch, type UsageRow } from "../../../src/db/usage";
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
});
