/**
 * One unstorable value must not stop usage recording: strings are made storable at the insert, a batch Postgres
 * refuses is split until the refused rows are alone, and a full queue refuses requests instead of dropping rows.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { insertUsageBatch, type UsageRow } from "../../../src/db/usage";
import { randomId } from "../../../src/deps";
import { createLogger } from "../../../src/logger";
import { createBatchUsageWriter } from "../../../src/usage/batch-writer";
import { testBackends, type TestDb } from "../../support/db";
import { createHarness, type LogLine } from "./app-harness";

describe.each(testBackends)("usage rows with bad values on $name", ({ open }) => {
  let t: TestDb;
  beforeAll(async () => void (t = await open()));
  afterAll(async () => t.close());

  // The cost is given both as dollars and as integer micro-dollars, so the row fits either shape of the cost column.
  const row = (key: CreatedKey, over: Partial<UsageRow> = {}): UsageRow =>
    ({
      requestId: `req_${randomId(24)}`,
      keyId: key.id,
      userEmail: key.user,
      endpoint: "chat.completions",
      model: "nova-lite",
      stream: false,
      status: "ok",
      inputTokens: 3,
      outputTokens: 2,
      costUsd: 0,
      costMicros: 0,
      latencyMs: 1,
      ...over,
    }) as UsageRow;

  const rowsOfKey = (id: string) => t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));

  it("stores NULs and lone surrogates in any string field as U+FFFD, and bounds their length", async () => {
    const h = createHarness({ db: t.db });
    const key = await h.newKey("storable");
    const rows = [
      row(key, { model: "a\u0000b" }),
      row(key, { team: "\ud800team", errorCode: "x\udc00", stopReason: "\u0000" }),
      row(key, { bedrockModelId: "m".repeat(10_000) }),
    ];
    expect(await insertUsageBatch(t.db, rows)).toBe(3);
    const stored = new Map((await rowsOfKey(key.id)).map((r) => [r.requestId, r]));
    expect(stored.get(rows[0]!.requestId)!.model).toBe("a\uFFFDb");
    expect(stored.get(rows[1]!.requestId)).toMatchObject({ team: "\uFFFDteam", errorCode: "x\uFFFD", stopReason: "\uFFFD" });
    expect(stored.get(rows[2]!.requestId)!.bedrockModelId).toHaveLength(512);
  });

  it("writes the good rows of a batch Postgres refuses, logs each refused row once and moves on", async () => {
    const h = createHarness({ db: t.db });
    const key = await h.newKey("poison");
    const logs: LogLine[] = [];
    const logger = createLogger("debug", (l) => logs.push(JSON.parse(l)));
    const pending: Promise<unknown>[] = [];
    const writer = createBatchUsageWriter({ db: t.db, logger, waitUntil: (p) => void pending.push(p), maxBatch: 50, maxDelayMs: 5 });
    const good = Array.from({ length: 20 }, (_, i) => row(key, { inputTokens: i }));
    const nul = row(key, { model: "a\u0000b" });
    // Refused for what they hold: a key that does not exist (23503) and a count beyond integer (22003).
    const orphan = row(key, { keyId: `key_missing_${randomId(8)}` });
    const huge = row(key, { inputTokens: 2 ** 40 });
    for (const r of [...good.slice(0, 7), orphan, nul, ...good.slice(7, 15), huge, ...good.slice(15)]) writer.write(r);

    await Promise.race([Promise.all(pending), new Promise((_, reject) => setTimeout(() => reject(new Error("the writer is stuck on the batch")), 10_000))]);
    expect(writer.pendingRows()).toHaveLength(0);
    const stored = await rowsOfKey(key.id);
    expect(new Set(stored.map((r) => r.requestId))).toEqual(new Set([...good, nul].map((r) => r.requestId)));

    const refused = logs.filter((l) => l.msg === "usage row refused by the database and dropped");
    expect(refused.map((l) => (l.usage as UsageRow).requestId).sort()).toEqual([orphan.requestId, huge.requestId].sort());
    expect(refused.map((l) => l.sqlstate).sort()).toEqual(["22003", "23503"]);
    expect(refused.every((l) => l.level === "error")).toBe(true);

    // ...and the next row is written as usual.
    const later = row(key);
    writer.write(later);
    await Promise.all(pending);
    expect((await rowsOfKey(key.id)).map((r) => r.requestId)).toContain(later.requestId);
  });

  it("keeps recording after a request whose model holds a NUL", async () => {
    const h = createHarness({ db: t.db, batchWriter: {} });
    const { key, id } = await h.newKey("nul-model");
    const bad = await h.post("/v1/chat/completions", key, { model: "a\u0000b", messages: [{ role: "user", content: "hi" }] });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    await h.settle();
    const next = await h.post("/v1/chat/completions", key, { model: "a-second-unknown-model", messages: [{ role: "user", content: "hi" }] });
    await next.text();
    await h.settle();
    expect(h.deps.usageWriter!.pendingRows()).toHaveLength(0);
    const stored = await rowsOfKey(id);
    expect(stored.map((r) => r.model).sort()).toEqual(["a-second-unknown-model", "a\uFFFDb"]);
  });

  it("refuses new requests with 503 and retry-after while the queue is full, and serves again once it drains", async () => {
    let databaseUp = false;
    const h = createHarness({
      db: t.db,
      batchWriter: {
        maxQueued: 2,
        insert: async (rows) => {
          if (!databaseUp) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
          return insertUsageBatch(t.db, rows);
        },
      },
    });
    const { key, id } = await h.newKey("queue-full");
    const ask = () => h.post("/v1/embeddings", key, { model: "no-such-embedding-model", input: "x" });
    expect((await ask()).status).toBe(404);
    expect(h.deps.usageWriter!.isFull()).toBe(false);
    expect((await ask()).status).toBe(404);
    expect(h.deps.usageWriter!.isFull()).toBe(true);

    const refused = await ask();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ type: "server_error", code: "service_unavailable" });
    expect(h.deps.usageWriter!.pendingRows()).toHaveLength(2);

    databaseUp = true;
    await h.settle(15_000);
    expect(h.deps.usageWriter!.isFull()).toBe(false);
    expect((await ask()).status).toBe(404);
    await h.settle(15_000);
    expect(await rowsOfKey(id)).toHaveLength(3);
  });
});
