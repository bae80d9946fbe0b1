import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/client";
import { pendingMigrations, runMigrations } from "../../../src/db/migrate";
import { rowsOf } from "../../../src/db/rows";
import * as schema from "../../../src/db/schema";
import { loadMigrations, packageRoot } from "../../../src/runtimes/node/migrations";
import { createScratchDatabase, ensureTestDatabase } from "../../support/db";

const migrations = loadMigrations();

async function bookkeeping(db: Db): Promise<{ hash: string; created_at: string }[]> {
  return rowsOf(await db.execute(sql`select hash, created_at::text from drizzle.__drizzle_migrations order by id`));
}

// Tables and views (information_schema.tables lists both) after every migration.
const ALL_TABLES = [
  "admin_sessions",
  "admission_releases",
  "api_keys",
  "audit_log",
  "models",
  "rate_windows",
  "responses",
  "spend_ledger",
  "teams",
  "usage_daily",
  "usage_events",
  "users",
];

async function tables(db: Db): Promise<string[]> {
  const rows = rowsOf<{ t: string }>(await db.execute(sql`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`));
  return rows.map((r) => r.t);
}

const expectedBookkeeping = () => migrations.map((m) => ({ hash: m.hash, created_at: String(m.folderMillis) }));

it("finds migrations/ from the package root, from src/ and from dist/", () => {
  const root = packageRoot();
  expect(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).name).toBe("bedrock-gateway");
  expect(packageRoot(pathToFileURL(path.join(root, "dist", "cli.js")).href)).toBe(root);
  expect(migrations.length).toBeGreaterThan(0);
  expect(migrations[0].sql.join("")).toContain('CREATE TABLE "api_keys"');
});

describe("migrations on postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  const clients: postgres.Sql[] = [];
  const connect = () => {
    const c = postgres(scratch.url, { max: 1, onnotice: () => {} });
    clients.push(c);
    return drizzlePostgres({ client: c, schema }) as unknown as Db;
  };

  beforeAll(async () => {
    await ensureTestDatabase();
    scratch = await createScratchDatabase();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    await scratch?.drop();
  });

  it("waits for the advisory lock, then applies each migration once across concurrent processes", async () => {
    const holder = connect();
    const observer = connect();
    const dbs = [connect(), connect(), connect(), connect()];
    expect(await pendingMigrations(dbs[0], migrations)).toBe(migrations.length);

    // Hold the migration lock in another session: nobody may migrate until it is released.
    let releaseLock!: () => void;
    const held = new Promise<void>((r) => (releaseLock = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const holding = holder.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(27697946848594279)`);
      locked();
      await held;
    });
    await lockTaken;

    let settled = false;
    const runs = Promise.all(dbs.map((db) => runMigrations(db, migrations))).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 400));
    expect(settled).toBe(false);
    expect(await tables(observer)).toEqual([]);

    releaseLock();
    await holding;
    const results = await runs;
    expect(results.reduce((n, r) => n + r.applied, 0)).toBe(migrations.length);
    expect(results.every((r) => r.total === migrations.length)).toBe(true);
    expect(await bookkeeping(dbs[0])).toEqual(expectedBookkeeping());
    expect(await tables(dbs[0])).toEqual(ALL_TABLES);
  });

  it("is idempotent and agrees with drizzle's own migrator", async () => {
    const db = connect();
    expect(await runMigrations(db, migrations)).toEqual({ applied: 0, total: migrations.length });
    expect(await pendingMigrations(db, migrations)).toBe(0);
    await drizzleMigrate(db as never, { migrationsFolder: `${packageRoot()}/migrations` });
    expect(await bookkeeping(db)).toEqual(expectedBookkeeping());
  });
});

describe("migrations on pglite", () => {
  let pg: PGlite;
  let db: Db;
  beforeAll(async () => {
    pg = await PGlite.create();
    db = drizzlePglite({ client: pg, schema }) as unknown as Db;
  });
  afterAll(() => pg.close());

  it("applies each migration once when started concurrently, and again is a no-op", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => runMigrations(db, migrations)));
    expect(results.reduce((n, r) => n + r.applied, 0)).toBe(migrations.length);
    expect(await bookkeeping(db)).toEqual(expectedBookkeeping());
    expect(await tables(db)).toEqual(ALL_TABLES);
    expect(await runMigrations(db, migrations)).toEqual({ applied: 0, total: migrations.length });
  });
});
