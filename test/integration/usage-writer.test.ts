import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../src/db/keys";
import { usageEvents } from "../../src/db/schema";
import type { UsageRow } from "../../src/db/usage";
import { systemClock } from "../../src/deps";
import { silentLogger } from "../../src/logger";
import { createBatchUsageWriter } from "../../src/usage/batch-writer";
import { randomEmail, testBackends, type TestDb } from "../support/db";

describe.each(testBackends)("batched usage writer on $name", ({ open }) => {
  let t: TestDb;
  beforeAll(async () => void (t = await open()));
  afterAll(async () => t.close());

  it("writes every row once, in few statements, and is flushed by waitUntil", async () => {
    const { id, user } = { ...(await createKey(t.db, { user: randomEmail("batch") }, systemClock)), user: "u" };
    const pending: Promise<unknown>[] = [];
    const writer = createBatchUsageWriter({ db: t.db, logger: silentLogger, waitUntil: (p) => void pending.push(p), maxBatch: 100, maxDelayMs: 10 });
    const row = (i: number): UsageRow => ({
      requestId: `batch-${id}-${i}`,
      keyId: id,
      userEmail: user,
      endpoint: "chat.completions",
      model: "m",
      stream: false,
      status: "ok",
      inputTokens: i,
      outputTokens: 1,
      costMicros: 1000,
      latencyMs: 1,
    });
    for (let i = 0; i < 250; i++) writer.write(row(i));
    writer.write(row(7)); // a duplicate request id keeps the first row
    expect(pending.length).toBe(1);
    await Promise.all(pending);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
    expect(rows).toHaveLength(250);
    const seven = await t.db
      .select()
      .from(usageEvents)
      .where(inArray(usageEvents.requestId, [`batch-${id}-7`]));
    expect(seven).toHaveLength(1);
  });

  it("keeps rows through a database outage and writes each exactly once when it is back", async () => {
    const { id } = await createKey(t.db, { user: randomEmail("outage") }, systemClock);
    let failuresLeft = 3;
    const pending: Promise<unknown>[] = [];
    const writer = createBatchUsageWriter({
      db: t.db,
      logger: silentLogger,
      waitUntil: (p) => void pending.push(p),
      maxDelayMs: 5,
      insert: async (rows) => {
        if (failuresLeft-- > 0) throw new Error("connection refused");
        const { insertUsageBatch } = await import("../../src/db/usage");
        return insertUsageBatch(t.db, rows);
      },
    });
    for (let i = 0; i < 30; i++) {
      writer.write({
        requestId: `outage-${id}-${i}`,
        keyId: id,
        userEmail: "u",
        endpoint: "embeddings",
        model: "m",
        stream: false,
        status: "ok",
        inputTokens: 1,
        outputTokens: 0,
        costMicros: 0,
        latencyMs: 1,
      });
    }
    expect(writer.pendingRows()).toHaveLength(30);
    await Promise.all(pending);
    expect(writer.pendingRows()).toHaveLength(0);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
    expect(rows).toHaveLength(30);
  });
});
