// The PGlite handover: a gateway process serves its data folder on loopback; other openDatabase calls
// (the CLI) connect through that socket instead of opening the folder a second time.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { parseConfig } from "../../../src/config";
import { createKey, findKeyByHash } from "../../../src/db/keys";
import { runMigrations } from "../../../src/db/migrate";
import { rowsOf } from "../../../src/db/rows";
import { apiKeys } from "../../../src/db/schema";
import { insertUsage } from "../../../src/db/usage";
import { silentLogger } from "../../../src/logger";
import { DatabaseInUseError, openDatabase, type Database } from "../../../src/runtimes/node/database";
import { loadMigrations } from "../../../src/runtimes/node/migrations";
import { randomEmail } from "../../support/db";

const clock = { now: () => Date.now() };
const migrations = loadMigrations();

describe("PGlite served over a loopback socket", () => {
  let dataDir: string;
  let gateway: Database;
  const opened: Database[] = [];
  const config = () => parseConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "bgw-pglite-socket-"));
    gateway = await openDatabase(config(), silentLogger, { serveSocket: true });
    await runMigrations(gateway.db, migrations);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the folder and publishes its URL and a lock", () => {
    expect(gateway.kind).toBe("pglite");
    expect(gateway.databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(readFileSync(path.join(dataDir, "pglite.url"), "utf8").trim()).toBe(gateway.databaseUrl);
    expect(JSON.parse(readFileSync(path.join(dataDir, "pglite.lock"), "utf8"))).toEqual({ pid: process.pid, host: hostname() });
  });

  it("a second opener goes through the socket and sees the same data", async () => {
    const cli = await openDatabase(config(), silentLogger);
    opened.push(cli);
    expect(cli.kind).toBe("pglite-socket");
    expect(cli.databaseUrl).toBe(gateway.databaseUrl);
    expect(await runMigrations(cli.db, migrations)).toMatchObject({ applied: 0 });

    const k = await createKey(cli.db, { user: randomEmail(), actor: "test" }, clock);
    expect(await findKeyByHash(gateway.db, await hashApiKey(k.key))).toMatchObject({ id: k.id });
    const k2 = await createKey(gateway.db, { user: randomEmail(), actor: "test" }, clock);
    expect(await findKeyByHash(cli.db, await hashApiKey(k2.key))).toMatchObject({ id: k2.id });
  });

  it("refuses a second server on a held folder", async () => {
    await expect(openDatabase(config(), silentLogger, { serveSocket: true, lockTimeoutMs: 200 })).rejects.toBeInstanceOf(DatabaseInUseError);
  });

  it("keeps the gateway's own writes out of a socket client's transaction", async () => {
    const client = postgres(gateway.databaseUrl!, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const user = randomEmail();
      const inTx = `key_tx_${Date.now()}`;
      const outside = await createKey(gateway.db, { user, actor: "test" }, clock);
      let gatewayWriteDone = false;
      let txStillOpenWhenWriteDone: boolean | undefined;
      let txOpen = false;

      const tx = client
        .begin(async (sql) => {
          txOpen = true;
          await sql`insert into api_keys (id, key_hash, prefix, user_email) values (${inTx}, ${inTx}, ${inTx}, ${user})`;
          await new Promise((r) => setTimeout(r, 300));
          txOpen = false;
          throw new Error("roll back");
        })
        .catch((e: Error) => e.message);

      // The gateway writes while the socket client's transaction is open: it must wait, not join it.
      await new Promise((r) => setTimeout(r, 100));
      const write = insertUsage(gateway.db, {
        requestId: `req_${Date.now()}_${Math.random()}`,
        keyId: outside.id,
        userEmail: user,
        endpoint: "chat.completions",
        model: "m",
        stream: false,
        status: "ok",
        inputTokens: 1,
        outputTokens: 1,
        costMicros: 0,
        latencyMs: 1,
      }).then((ok) => {
        gatewayWriteDone = ok;
        txStillOpenWhenWriteDone = txOpen;
      });

      expect(await tx).toBe("roll back");
      await write;
      expect(gatewayWriteDone).toBe(true);
      expect(txStillOpenWhenWriteDone).toBe(false);
      expect(await gateway.db.select().from(apiKeys).where(eq(apiKeys.id, inTx))).toEqual([]);
      const usage = await gateway.db.execute(`select count(*)::int as n from usage_events where user_email = '${user}'` as never);
      expect(JSON.stringify(usage)).toContain('"n":1');
    } finally {
      await client.end({ timeout: 5 });
    }
  });

  it("never interleaves a socket client's extended-protocol messages with the gateway's queries", async () => {
    const client = postgres(gateway.databaseUrl!, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const viaSocket = async () => {
        for (let i = 0; i < 150; i++) {
          const [row] = await client`select ${i}::int + 1000000 as v, ${`s${i}`}::text as s`;
          expect(row).toEqual({ v: i + 1000000, s: `s${i}` });
        }
      };
      const inProcess = async () => {
        for (let i = 0; i < 150; i++) {
          const rows = await gateway.db.execute(sql`select ${i}::int as v, ${`g${i}`}::text as g`);
          expect(rowsOf(rows)).toEqual([{ v: i, g: `g${i}` }]);
        }
      };
      await Promise.all([viaSocket(), inProcess(), inProcess()]);
    } finally {
      await client.end({ timeout: 5 });
    }
  });

  it("rolls back and frees the session when a socket client dies inside a transaction", async () => {
    const script = `
      import postgres from "postgres";
      const sql = postgres(process.argv[1], { max: 1, prepare: false });
      await sql\`begin\`;
      await sql\`insert into audit_log (actor, action) values ('dying-client', 'test')\`;
      process.exit(0); // no COMMIT, no goodbye
    `;
    // Asynchronously: the socket is served by this very process.
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, gateway.databaseUrl!], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code, stderr).toBe(0);
    // The gateway's own queries must not hang behind the abandoned transaction, nor commit its insert.
    const rows = await Promise.race([
      gateway.db.execute(`select count(*)::int as n from audit_log where actor = 'dying-client'` as never),
      new Promise((_, reject) => setTimeout(() => reject(new Error("gateway query blocked")), 5_000)),
    ]);
    expect(JSON.stringify(rows)).toContain('"n":0');
  });
});

describe("PGlite folder lock", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "bgw-pglite-lock-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = () => parseConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" });

  it("waits for an owner that does not serve a socket, then gives up with a clear error", async () => {
    const owner = await openDatabase(config(), silentLogger);
    try {
      expect(owner.kind).toBe("pglite");
      const err = await openDatabase(config(), silentLogger, { lockTimeoutMs: 300 }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(DatabaseInUseError);
      expect(String(err)).toContain("not served over a socket");
    } finally {
      await owner.close();
    }
    expect(existsSync(path.join(dataDir, "pglite.lock"))).toBe(false);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(path.join(dataDir, "pglite.lock"), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
    writeFileSync(path.join(dataDir, "pglite.url"), "postgres://postgres@127.0.0.1:1/postgres\n");
    const db = await openDatabase(config(), silentLogger, { lockTimeoutMs: 0 });
    try {
      expect(db.kind).toBe("pglite");
      expect(existsSync(path.join(dataDir, "pglite.url"))).toBe(false);
    } finally {
      await db.close();
    }
  });
});
