/**
 * DB_OUTAGE_POLICY when admission cannot reach the database (here a partition: the connection stays open, nothing
 * is answered). fail-closed (the default) answers 503 with retry-after; fail-open serves a key already in the key
 * cache without its limits, queues its usage row, and charges it to the ledger once the database answers again.
 */
import { createServer, Socket, type Server } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { parseConfig } from "../../../src/config";
import { apiKeys, spendLedger, usageEvents } from "../../../src/db/schema";
import { silentLogger } from "../../../src/logger";
import { openDatabase } from "../../../src/runtimes/node/database";
import { openTestPostgres, testDatabaseUrl, type TestDb } from "../../support/db";
import { createHarness } from "./app-harness";

let t: TestDb;
let sim: Simulator;
let proxy: Server;
let proxyPort = 0;
let partitioned = false;
const sockets = new Set<Socket>();

beforeAll(async () => {
  t = await openTestPostgres();
  sim = await startSimulator({ port: 0 });
  const target = new URL(testDatabaseUrl());
  // Forwards to the test Postgres until `partitioned`; then bytes are swallowed in both directions.
  proxy = createServer((client) => {
    const upstream = new Socket();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    upstream.connect(Number(target.port || 5432), target.hostname);
    client.on("data", (b) => void (partitioned || upstream.write(b)));
    upstream.on("data", (b) => void (partitioned || client.write(b)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyPort = (proxy.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => proxy.close(() => r()));
  await sim.close();
  await t.close();
});

const heal = () => {
  partitioned = false;
  for (const s of sockets) s.destroy();
};

async function gateway(policy: "fail-closed" | "fail-open") {
  const url = new URL(testDatabaseUrl());
  url.port = String(proxyPort);
  const env = { DB_QUERY_TIMEOUT_MS: "300", DB_OUTAGE_POLICY: policy };
  const database = await openDatabase(parseConfig({ DATABASE_URL: url.toString(), ...env }), silentLogger, { poolMax: 2 });
  const h = createHarness({ db: database.db, bedrockUrl: sim.url, env, batchWriter: { maxQueued: 100 } });
  // A key with a budget and a rate limit, so admission has to reach the database; one request puts it in the cache.
  const key = await h.newKey(`outage-${policy}`);
  await t.db.update(apiKeys).set({ rpmLimit: 100, budgetDailyMicros: 50_000_000 }).where(eq(apiKeys.id, key.id));
  const chat = () => h.post("/v1/chat/completions", key.key, { model: "nova-lite", messages: [{ role: "user", content: "hi" }] });
  expect((await chat()).status).toBe(200);
  await h.settle();
  return { h, database, key, chat };
}

const rowsOf = (keyId: string) => t.db.select().from(usageEvents).where(eq(usageEvents.keyId, keyId));

describe("DB_OUTAGE_POLICY", () => {
  it("fail-closed (the default): a cached key gets 503 with retry-after while the database does not answer", async () => {
    expect(parseConfig({}).DB_OUTAGE_POLICY).toBe("fail-closed");
    const g = await gateway("fail-closed");
    try {
      partitioned = true;
      const res = await g.chat();
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).not.toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("service_unavailable");
    } finally {
      heal();
      await g.h.settle();
      await g.database.close();
    }
  });

  it("fail-open: a cached key is served unmetered, its row queued, then written and charged when the database returns", async () => {
    const g = await gateway("fail-open");
    try {
      const before = await rowsOf(g.key.id);
      expect(before).toHaveLength(1);
      partitioned = true;
      const res = await g.chat();
      expect(res.status).toBe(200);
      expect(g.h.logs.some((l) => l.level === "warn" && /fail-open/.test(l.msg))).toBe(true);
      expect(g.h.logs.some((l) => l.unmetered === true)).toBe(true);
      heal();
      await g.h.settle();
      const rows = await rowsOf(g.key.id);
      expect(rows).toHaveLength(2);
      expect(rows.every((r) => r.status === "ok")).toBe(true);
      const charged = rows.reduce((n, r) => n + Number(r.costMicros), 0);
      expect(charged).toBeGreaterThan(0);
      const ledger = await t.db
        .select()
        .from(spendLedger)
        .where(eq(spendLedger.subject, `key:${g.key.id}`));
      const day = ledger.find((l) => l.period.startsWith("d"));
      expect(Number(day?.spentMicros)).toBe(charged);
      expect(Number(day?.reservedMicros)).toBe(0);
    } finally {
      heal();
      await g.database.close();
    }
  });
});
