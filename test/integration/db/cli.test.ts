// The bedrock-gateway CLI as users run it: a bundled Node process, against Postgres, a PGlite folder,
// and a PGlite folder held by a running gateway (reached through its loopback socket).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inArray, sql } from "drizzle-orm";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { parseConfig } from "../../../src/config";
import { findKeyByHash } from "../../../src/db/keys";
import { dbFromPostgresJs } from "../../../src/db/connect";
import { runMigrations } from "../../../src/db/migrate";
import { rowsOf } from "../../../src/db/rows";
import { apiKeys, auditLog, usageEvents } from "../../../src/db/schema";
import { insertUsageBatch } from "../../../src/db/usage";
import { silentLogger } from "../../../src/logger";
import { openDatabase, type Database } from "../../../src/runtimes/node/database";
import { loadMigrations, packageRoot } from "../../../src/runtimes/node/migrations";
import postgres from "postgres";
import { createScratchDatabase, openTestPostgres, randomEmail, randomTeam, testDatabaseUrl, type TestDb } from "../../support/db";

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

it("prints help with every word", async () => {
  const help = await cli(["--help"], {});
  expect(help.code).toBe(0);
  for (const word of [
    "keys create --user EMAIL",
    "keys update ID_OR_PREFIX [POLICY]",
    "keys rotate ID_OR_PREFIX [--grace DURATION]",
    "users set EMAIL [POLICY]",
    "teams set TEAM [POLICY]",
    "models set ALIAS --target BEDROCK_ID[@REGION]",
    "models enable|disable ALIAS",
    "usage report [--since DATE] [--until DATE]",
    "A flag given as none or empty clears that limit",
    "--since defaults to 30d, --until to now; --until is exclusive; days are UTC",
  ]) {
    expect(help.stdout).toContain(word);
  }
});

// Bad command lines fail before any database is opened: one line on stderr, nothing on stdout, exit code 2.
it.each([
  [["keys", "create", "--user", "a@example.com", "--rmp", "5"], "unknown flag --rmp (did you mean --rpm?)"],
  [["keys", "create", "--user", "not-an-email"], '--user must be an email address (got "not-an-email")'],
  [
    ["keys", "create", "--user", "a@example.com", "--budget-daily", "-5"],
    '--budget-daily must be an amount in USD with at most six decimals, such as 5 or 12.50 (got "-5")',
  ],
  [["keys", "create", "--user", "a@example.com", "--budget-monthly", "1.0000001"], "--budget-monthly must be an amount in USD with at most six decimals"],
  [
    ["keys", "create", "--user", "a@example.com", "--expires", "2w"],
    '--expires must be an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d) (got "2w")',
  ],
  [["keys", "create", "--user", "a@example.com", "--rpm", "1.5"], '--rpm must be a whole number from 1 to 2147483647 (got "1.5")'],
  [
    ["keys", "rotate", "key_x", "--grace", "soon"],
    '--grace must be an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d) (got "soon")',
  ],
  [["keys", "update", "key_x"], "keys update needs something to change"],
  [["keys", "craete"], 'unknown keys subcommand "craete" (did you mean "create"?)'],
  [["keys", "list", "--tema", "x"], "unknown flag --tema (did you mean --team?)"],
  [["users", "set", "alice"], 'EMAIL must be an email address (got "alice")'],
  [["models", "set", "m", "--target", "x@nowhere"], "--target must be a Bedrock model id"],
  [["usage", "report", "--by", "usr"], '--by takes one or two of user, team, key, model, day, comma-separated (got "usr"; did you mean user?)'],
  [["usage", "--format", "xml"], '--format must be table, csv or json (got "xml")'],
  [["usage", "--since", "1d", "--until", "2d"], "--until ("],
  [["kyes", "list"], 'unknown command "kyes" (did you mean "keys"?)'],
])("%j exits 2 with one line", async (args, message) => {
  const r = await cli(args, { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`bedrock-gateway: ${message}`), lines[0]).toBe(true);
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

  it("creates (--json), lists, reports usage for, rotates and revokes a key", async () => {
    const user = randomEmail();
    const team = randomTeam();
    const created = await cli(["keys", "create", "--user", user, "--team", team, "--name", "ci", "--budget-daily", "5", "--json"], env());
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    ids.push(out.id);
    expect(out).toMatchObject({ user, team, name: "ci", prefix: out.key.slice(0, 15), budget_daily_usd: "5.000000" });
    const hash = await hashApiKey(out.key);
    expect(await findKeyByHash(t.db, hash)).toMatchObject({ id: out.id, user, team, budgetDailyMicros: 5_000_000 });

    const list = await cli(["keys", "list", "--user", user, "--json"], env());
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: out.id, prefix: out.prefix, status: "active", spent_today_usd: "0.000000" }]);
    expect(list.stdout).not.toContain(hash);
    expect(list.stdout).not.toContain(out.key);

    await insertUsageBatch(
      t.db,
      [1, 2].map((i) => ({
        requestId: `req_cli_${out.id}_${i}`,
        keyId: out.id,
        userEmail: user,
        team,
        endpoint: "chat.completions",
        model: "claude",
        stream: true,
        status: "ok" as const,
        inputTokens: 100 * i,
        outputTokens: 10 * i,
        costMicros: 125000 * i,
        latencyMs: 5,
      })),
    );
    const csv = await cli(["usage", "report", "--by", "key", "--team", team, "--since", "1h", "--format", "csv"], env());
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trimEnd().split("\n")).toEqual([
      "key,key_name,key_user,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd",
      `${out.prefix},ci,${user},2,0,300,30,0,0,0.375000`,
    ]);
    const table = await cli(["usage", "--by", "key", "--team", team], env());
    expect(table.stdout).toContain(out.prefix);
    expect(table.stdout).toMatch(/TOTAL\s+2\s/);

    const rotated = await cli(["keys", "rotate", out.prefix, "--grace", "0"], env());
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKey = lastLine(rotated.stdout);
    const replacement = await findKeyByHash(t.db, await hashApiKey(newKey));
    ids.push(replacement!.id);
    expect(replacement).toMatchObject({ user, team, name: "ci", budgetDailyMicros: 5_000_000 });

    const revoked = await cli(["keys", "revoke", replacement!.prefix], env());
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${replacement!.id}`);
    const missing = await cli(["keys", "revoke", "key_doesnotexist"], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd().split("\n")).toHaveLength(1);
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

describe("only migrate migrates", () => {
  it("on an empty Postgres database, other commands exit 1 with one line and change nothing; migrate applies and seeds", async () => {
    const scratch = await createScratchDatabase();
    const client = postgres(scratch.url, { max: 1, onnotice: () => {} });
    const db = dbFromPostgresJs(client);
    const tables = async () =>
      rowsOf<{ n: string }>(await db.execute(sql`select count(*)::text as n from pg_tables where schemaname in ('public', 'drizzle')`))[0].n;
    try {
      for (const args of [["keys", "list"], ["keys", "create", "--user", randomEmail()], ["usage"], ["models", "list"], ["users", "set", randomEmail()]]) {
        const r = await cli(args, { DATABASE_URL: scratch.url });
        expect(r.code, args.join(" ")).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toEqual([
          `bedrock-gateway: the database has ${loadMigrations().length} pending migrations: run \`bedrock-gateway migrate\` first`,
        ]);
      }
      expect(await tables()).toBe("0");

      const migrate = await cli(["migrate"], { DATABASE_URL: scratch.url });
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(migrate.stdout).toContain(`Applied ${loadMigrations().length} migrations.`);
      expect(migrate.stdout).toMatch(/Model catalogue: wrote \d+ models\./);
      const seeded = rowsOf<{ n: string }>(await db.execute(sql`select count(*)::text as n from models`))[0].n;
      expect(Number(seeded)).toBeGreaterThan(10);
      const again = await cli(["migrate"], { DATABASE_URL: scratch.url });
      expect(again.stdout).toContain("Schema is up to date.");
      expect(again.stdout).toContain("Model catalogue is up to date.");
      const list = await cli(["models", "list", "--json"], { DATABASE_URL: scratch.url });
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toHaveLength(Number(seeded));
    } finally {
      await client.end({ timeout: 5 });
      await scratch.drop();
    }
  });
});

// Each command is a process that opens the folder (a fresh one runs initdb first): slow on a busy machine.
const PGLITE_TIMEOUT_MS = 180_000;

describe("against PGlite", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), "bgw-cli-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it(
    "opens a data folder of its own when no gateway runs; migrate first",
    async () => {
      const dataDir = tempDir();
      const early = await cli(["keys", "create", "--user", randomEmail(), "--json"], { DATA_DIR: dataDir });
      expect(early.code).toBe(1);
      expect(early.stderr).toContain("run `bedrock-gateway migrate` first");
      expect((await cli(["migrate"], { DATA_DIR: dataDir })).code).toBe(0);
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
    },
    PGLITE_TIMEOUT_MS,
  );

  it(
    "goes through the running gateway's socket when the folder is held",
    async () => {
      const dataDir = tempDir();
      const gateway: Database = await openDatabase(parseConfig({ DATA_DIR: dataDir }), silentLogger, { serveSocket: true });
      try {
        await runMigrations(gateway.db, loadMigrations());
        const user = randomEmail();
        const r = await cli(["keys", "create", "--user", user, "--json"], { DATA_DIR: dataDir });
        expect(r.code, r.stderr).toBe(0);
        const { key, id, prefix } = JSON.parse(r.stdout);
        expect(await findKeyByHash(gateway.db, await hashApiKey(key))).toMatchObject({ id, user });

        const migrate = await cli(["migrate"], { DATA_DIR: dataDir });
        expect(migrate.stdout).toContain(`through the running gateway at ${gateway.databaseUrl}`);
        expect(migrate.stdout).toContain("up to date");
        const list = await cli(["keys", "list"], { DATA_DIR: dataDir });
        expect(list.stdout).toContain(prefix);
      } finally {
        await gateway.close();
      }
    },
    PGLITE_TIMEOUT_MS,
  );
});
