// The bedrock-gateway CLI as users run it: a bundled Node process, against Postgres, a PGlite folder,
// and a PGlite folder held by a running gateway (reached through its loopback socket).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inArray } from "drizzle-orm";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { parseConfig } from "../../../src/config";
import { findKeyByHash } from "../../../src/db/keys";
import { runMigrations } from "../../../src/db/migrate";
import { apiKeys, auditLog, usageEvents } from "../../../src/db/schema";
import { insertUsageBatch } from "../../../src/db/usage";
import { silentLogger } from "../../../src/logger";
import { openDatabase, type Database } from "../../../src/runtimes/node/database";
import { loadMigrations, packageRoot } from "../../../src/runtimes/node/migrations";
import { openTestPostgres, randomEmail, randomTeam, testDatabaseUrl, type TestDb } from "../../support/db";

const root = packageRoot();
// Same esbuild settings as scripts/build.mjs, CLI entry only, so this test does not depend on the other bundles.
// Inside the package (node_modules/.cache) so packageRoot() and bare imports resolve as from dist/.
const cliBundle = path.join(root, "node_modules", ".cache", "bedrock-gateway-test", `cli-${process.pid}.js`);

type Run = { code: number | null; stdout: string; stderr: string };

async function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.DATA_DIR;
  delete base.LOG_LEVEL;
  // Asynchronous on purpose: in the socket test, this process serves the database the CLI talks to.
  const child = spawn(process.execPath, [cliBundle, ...args], { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

const lastLine = (s: string) => s.trimEnd().split("\n").at(-1)!;

beforeAll(async () => {
  await build({
    absWorkingDir: root,
    entryPoints: ["src/cli/bedrock-gateway.ts"],
    outfile: cliBundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
});
afterAll(() => rmSync(cliBundle, { force: true }));

it("prints help and rejects bad arguments with exit code 2", async () => {
  const help = await cli(["--help"], {});
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("keys create --user EMAIL");
  const bad = await cli(["keys", "create", "--user", "not-an-email"], { DATABASE_URL: testDatabaseUrl() });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--user must be an email address");
  const unknown = await cli(["frobnicate"], {});
  expect(unknown.code).toBe(2);
});

describe("against postgres", () => {
  let t: TestDb;
  const env = () => ({ DATABASE_URL: testDatabaseUrl() });
  const ids: string[] = [];
  beforeAll(async () => {
    t = await openTestPostgres();
  });
  afterAll(async () => {
    if (ids.length) {
      await t.db.delete(usageEvents).where(inArray(usageEvents.keyId, ids));
      await t.db.delete(auditLog).where(inArray(auditLog.target, ids));
      await t.db.delete(apiKeys).where(inArray(apiKeys.id, ids));
    }
    await t.close();
  });

  it("creates (--json), lists, reports usage for and revokes a key", async () => {
    const user = randomEmail();
    const team = randomTeam();
    const created = await cli(["keys", "create", "--user", user, "--team", team, "--name", "ci", "--json"], env());
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    ids.push(out.id);
    expect(out).toMatchObject({ user, team, name: "ci", prefix: out.key.slice(0, 15) });
    expect(Object.keys(out).sort()).toEqual(["createdAt", "expiresAt", "id", "key", "name", "prefix", "team", "user"]);
    const hash = await hashApiKey(out.key);
    expect(await findKeyByHash(t.db, hash)).toMatchObject({ id: out.id, user, team });

    const list = await cli(["keys", "list", "--user", user, "--json"], env());
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: out.id, prefix: out.prefix, status: "active" }]);
    expect(list.stdout).not.toContain(hash);
    expect(list.stdout).not.toContain(out.key);

    await insertUsageBatch(
      t.db,
      [1, 2].map((i) => ({
        requestId: `req_cli_${out.id}_${i}`,
        keyId: out.id,
        userEmail: user,
        team,
        endpoint: "chat.completions" as const,
        model: "claude",
        stream: true,
        status: "ok" as const,
        inputTokens: 100 * i,
        outputTokens: 10 * i,
        costUsd: 0.125 * i,
        latencyMs: 5,
      })),
    );
    const usage = await cli(["usage", "--by", "user", "--team", team, "--since", "1h", "--json"], env());
    expect(usage.code, usage.stderr).toBe(0);
    expect(JSON.parse(usage.stdout)).toMatchObject({
      groupBy: "user",
      rows: [{ group: user, requests: 2, inputTokens: 300, outputTokens: 30, costUsd: 0.375 }],
      total: { requests: 2, costUsd: 0.375 },
    });
    const table = await cli(["usage", "--by", "key", "--team", team], env());
    expect(table.stdout).toContain(out.prefix);
    expect(table.stdout).toMatch(/TOTAL\s+2\s/);

    const revoked = await cli(["keys", "revoke", out.prefix], env());
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${out.id}`);
    expect((await findKeyByHash(t.db, hash))!.revokedAt).toBeInstanceOf(Date);
    const again = await cli(["keys", "revoke", out.id], env());
    expect(again.stdout).toContain("already revoked");
    const missing = await cli(["keys", "revoke", "key_doesnotexist"], env());
    expect(missing.code).toBe(1);
  });

  it("prints the key alone on the last line without --json", async () => {
    const user = randomEmail();
    const r = await cli(["keys", "create", "--user", user, "--expires", "30d"], env());
    expect(r.code, r.stderr).toBe(0);
    const key = lastLine(r.stdout);
    expect(key).toMatch(/^bgw_live_[0-9A-Za-z]{40}$/);
    const found = await findKeyByHash(t.db, await hashApiKey(key));
    ids.push(found!.id);
    expect(found!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(r.stdout).toContain(found!.prefix);
  });
});

describe("against PGlite", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), "bgw-cli-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("opens a data folder of its own when no gateway runs", async () => {
    const dataDir = tempDir();
    const r = await cli(["keys", "create", "--user", randomEmail(), "--json"], { DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    const { key, id } = JSON.parse(r.stdout);
    const db = await openDatabase(parseConfig({ DATA_DIR: dataDir }), silentLogger, { lockTimeoutMs: 0 });
    try {
      expect(db.kind).toBe("pglite");
      expect(await findKeyByHash(db.db, await hashApiKey(key))).toMatchObject({ id });
    } finally {
      await db.close();
    }
  });

  it("goes through the running gateway's socket when the folder is held", async () => {
    const dataDir = tempDir();
    const gateway: Database = await openDatabase(parseConfig({ DATA_DIR: dataDir }), silentLogger, { serveSocket: true });
    try {
      await runMigrations(gateway.db, loadMigrations());
      const user = randomEmail();
      const r = await cli(["keys", "create", "--user", user, "--json"], { DATA_DIR: dataDir });
      expect(r.code, r.stderr).toBe(0);
      const { key, id } = JSON.parse(r.stdout);
      expect(await findKeyByHash(gateway.db, await hashApiKey(key))).toMatchObject({ id, user });

      const migrate = await cli(["migrate"], { DATA_DIR: dataDir });
      expect(migrate.stdout).toContain(`through the running gateway at ${gateway.databaseUrl}`);
      expect(migrate.stdout).toContain("up to date");
      const list = await cli(["keys", "list"], { DATA_DIR: dataDir });
      expect(list.stdout).toContain(id);
    } finally {
      await gateway.close();
    }
  });
});
