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
      costUsd: 0.001,
      latencyMs: 1,
    });
    for (let i = 0; i < 250; i++) writer.write(row(i));
    writer.write(row(7)); // a duplicate request id keeps the first row
    expect(pending.length).toBeLessThanOrEqual(4);
    await Promise.all(pending);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
    expect(rows).toHaveLength(250);
    const seven = await t.db.select().from(usageEvents).where(inArray(usageEvents.requestId, [`batch-${id}-7`]));
    expect(seven).toHaveLength(1);
  });
});
