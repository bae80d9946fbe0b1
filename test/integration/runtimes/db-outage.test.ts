/**
 * The database goes away while the gateway serves (a TCP proxy in front of Postgres is cut): requests with a
 * cached key keep working, /readyz reports the outage, usage rows wait in the queue, and every row is written
 * exactly once when the database is back.
 */
import { execFileSync } from "node:child_process";
import { eq } from "drizzle-orm";
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../../sim/server";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess } from "../../support/gateway-process";

/** A cuttable TCP proxy to the test Postgres. */
async function startProxy(target: URL) {
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    setDown(value: boolean) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("database outage while serving (node)", () => {
  let sim: Simulator;
  let tdb: Awaited<ReturnType<typeof openTestPostgres>>;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let gw: GatewayProcess;
  let key: { id: string; key: string };

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    sim = await startSimulator({ port: 0 });
    tdb = await openTestPostgres();
    proxy = await startProxy(new URL(testDatabaseUrl()));
    const url = new URL(testDatabaseUrl());
    url.port = String(proxy.port);
    key = await createKey(tdb.db, { user: `outage-${randomId(6)}@test.local` }, systemClock);
    gw = await startGatewayProcess("node", {
      DATABASE_URL: url.toString(),
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
      AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
      MIGRATE_ON_START: "false",
      KEY_CACHE_TTL_MS: "120000",
      LOG_LEVEL: "error",
    });
  });

  afterAll(async () => {
    await gw?.stop("SIGKILL");
    await proxy?.close();
    await tdb?.close();
    await sim?.close();
  });

  const chat = (stream: boolean) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "nova-lite", stream, messages: [{ role: "user", content: "during the outage" }] }),
    });
  const rowsFor = () => tdb.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id));

  it("keeps serving, queues usage rows and writes each once when the database returns", async () => {
    expect((await chat(false)).status).toBe(200); // caches the key
    proxy.setDown(true);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    const during = await Promise.all([chat(false), chat(true), chat(false), chat(true)]);
    for (const res of during) {
      expect(res.status).toBe(200);
      await res.text();
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await rowsFor()).length).toBeLessThanOrEqual(1);

    proxy.setDown(false);
    const deadline = Date.now() + 15_000;
    let rows = await rowsFor();
    while (rows.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await rowsFor();
    }
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(5);
    expect(rows.every((r) => r.status === "ok")).toBe(true);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  });
});
