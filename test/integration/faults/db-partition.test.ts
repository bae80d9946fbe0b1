/**
 * A database that cannot be reached, or stops answering, costs a request at most DB_QUERY_TIMEOUT_MS: the answer is
 * 503 `service_unavailable` with `retry-after`, never a hang. The pool is the Node runtime's own (openDatabase).
 */
import { createServer, type Server, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../../src/auth/api-key";
import { parseConfig } from "../../../src/config";
import { silentLogger } from "../../../src/logger";
import { openDatabase, type Database } from "../../../src/runtimes/node/database";
import { openTestPostgres, testDatabaseUrl, type TestDb } from "../../support/db";
import { createHarness } from "./app-harness";

const TIMEOUT_MS = 500;
// A correctness bound (no hang), not a performance target: the deadline plus a generous margin.
const BOUND_MS = 5_000;

type Listening = { server: Server; port: number; sockets: Set<Socket>; close(): Promise<void> };

async function listen(onConnection: (socket: Socket) => void): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function gatewayOver(url: string, env: Record<string, string> = {}, poolMax?: number) {
  const config = parseConfig({ DATABASE_URL: url, DB_QUERY_TIMEOUT_MS: String(TIMEOUT_MS), ...env });
  const database = await openDatabase(config, silentLogger, { poolMax });
  const h = createHarness({ db: database.db, env: { DB_QUERY_TIMEOUT_MS: String(TIMEOUT_MS), ...env } });
  return { h, database };
}

async function timedChat(h: ReturnType<typeof createHarness>, key: string) {
  const started = Date.now();
  const res = await h.post("/v1/chat/completions", key, { model: "nova-lite", messages: [{ role: "user", content: "hi" }] });
  return { res, ms: Date.now() - started, body: (await res.json()) as { error: { type: string; code: string } } };
}

function expectUnavailable(r: Awaited<ReturnType<typeof timedChat>>) {
  expect(r.res.status).toBe(503);
  expect(r.res.headers.get("retry-after")).toBe("1");
  expect(r.body.error).toMatchObject({ type: "server_error", code: "service_unavailable" });
  expect(r.ms).toBeLessThan(BOUND_MS);
}

describe("an unreachable database", () => {
  let database: Database | undefined;
  afterAll(async () => database?.close());

  it("that accepts connections and never answers: 503 with retry-after within the deadline", async () => {
    // Reads (so it notices when the client hangs up) and never answers.
    const blackHole = await listen((socket) => socket.resume());
    try {
      const g = await gatewayOver(`postgres://postgres@127.0.0.1:${blackHole.port}/gateway`);
      database = g.database;
      const r = await timedChat(g.h, generateApiKey().key);
      expectUnavailable(r);
      expect(blackHole.sockets.size).toBeGreaterThan(0);
      expect(g.h.logs.some((l) => l.msg === "key lookup failed" && l.level === "error")).toBe(true);
      // The pool gives up on the silent connection after connect_timeout (1 s here), not postgres.js's default 30 s.
      const deadline = Date.now() + 3_000;
      while (blackHole.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(blackHole.sockets.size).toBe(0);
    } finally {
      await blackHole.close();
    }
  });

  it("on a closed port: 503 with retry-after at once", async () => {
    const gone = await listen(() => {});
    const port = gone.port;
    await gone.close();
    const g = await gatewayOver(`postgres://postgres@127.0.0.1:${port}/gateway`);
    try {
      const r = await timedChat(g.h, generateApiKey().key);
      expectUnavailable(r);
    } finally {
      await g.database.close();
    }
  });
});

describe("a database that stops answering on an open connection (a partition)", () => {
  let t: TestDb;
  let proxy: Listening;
  let partitioned = false;
  const held: Buffer[] = [];

  beforeAll(async () => {
    t = await openTestPostgres();
    const target = new URL(testDatabaseUrl());
    // Forwards to the test Postgres until `partitioned`; then bytes in both directions are held, never delivered.
    proxy = await listen((client) => {
      const upstream = new Socket();
      upstream.on("error", () => client.destroy());
      upstream.connect(Number(target.port || 5432), target.hostname);
      proxy.sockets.add(upstream);
      upstream.on("close", () => proxy.sockets.delete(upstream));
      client.on("data", (b) => (partitioned ? held.push(b) : upstream.write(b)));
      upstream.on("data", (b) => (partitioned ? held.push(b) : client.write(b)));
      client.on("close", () => upstream.destroy());
    });
  });
  afterAll(async () => {
    await proxy.close();
    await t.close();
  });

  it("answers 503 with retry-after within the deadline, and serves again once the network heals", async () => {
    const url = new URL(testDatabaseUrl());
    url.port = String(proxy.port);
    // No key cache, so every request reaches the database; one connection, so the stalled one is reused (postgres.js
    // would open a fresh one otherwise, and its connect_timeout would answer instead of the query deadline).
    const g = await gatewayOver(url.toString(), { KEY_CACHE_TTL_MS: "0" }, 1);
    try {
      const { key } = await g.h.newKey("partition");
      const ok = await g.h.app.request("/v1/models", { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);

      partitioned = true;
      const r = await timedChat(g.h, key);
      expectUnavailable(r);
      expect(r.ms).toBeLessThan(1_000);
      expect(g.h.logs.find((l) => l.msg === "key lookup failed")).toMatchObject({ timeout: true });
      expect(held.length).toBeGreaterThan(0);

      // The network heals: the stalled connections are reset, and the pool connects again.
      partitioned = false;
      for (const s of proxy.sockets) s.destroy();
      const after = await g.h.app.request("/v1/models", { headers: { authorization: `Bearer ${key}` } });
      expect(after.status).toBe(200);
    } finally {
      partitioned = false;
      for (const s of proxy.sockets) s.destroy();
      await g.database.close();
    }
  });
});
