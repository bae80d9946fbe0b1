/** Databases for tests: the real Postgres (TEST_DATABASE_URL or a local default) and in-memory PGlite, both migrated. */
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import postgres from "postgres";
import type { Db } from "../../src/db/client";
import { dbFromPostgresJs } from "../../src/db/connect";
import { runMigrations } from "../../src/db/migrate";
import * as schema from "../../src/db/schema";
import { randomId } from "../../src/deps";
import { loadMigrations } from "../../src/runtimes/node/migrations";

export type TestDb = { db: Db; close(): Promise<void> };

export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/bedrock_gateway_test";
}

/** The same server's maintenance database, for CREATE/DROP DATABASE. */
function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = "/postgres";
  return u.toString();
}

const ensured = new Map<string, Promise<void>>();

/** Creates the test database if it does not exist (safe when several workers race to create it). */
export function ensureTestDatabase(url: string = testDatabaseUrl()): Promise<void> {
  let p = ensured.get(url);
  if (!p) {
    p = createDatabaseIfMissing(url);
    ensured.set(url, p);
    p.catch(() => ensured.delete(url));
  }
  return p;
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
  try {
    const found = await admin`select 1 from pg_database where datname = ${name}`;
    if (found.length > 0) return;
    await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's unique index.
    const code = (err as { code?: string }).code;
    if (code !== "42P04" && code !== "23505") throw err;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** A migrated drizzle Db on the test Postgres database. */
export async function openTestPostgres(opts: { url?: string; max?: number } = {}): Promise<TestDb & { sql: postgres.Sql }> {
  const url = opts.url ?? testDatabaseUrl();
  await ensureTestDatabase(url);
  const sql = postgres(url, { max: opts.max ?? 4, onnotice: () => {} });
  const db = dbFromPostgresJs(sql);
  await runMigrations(db, loadMigrations());
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** A migrated drizzle Db on a fresh in-memory PGlite. */
export async function openTestPglite(): Promise<TestDb & { pg: PGlite }> {
  const pg = await PGlite.create();
  const db = drizzlePglite({ client: pg, schema }) as unknown as Db;
  await runMigrations(db, loadMigrations());
  return { db, pg, close: () => pg.close() };
}

/** An empty database of its own on the test server (for migration tests); drop() removes it. */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(testDatabaseUrl());
  const name = `bgw_scratch_${randomId(10).toLowerCase()}`;
  const admin = postgres(adminUrl(base.toString()), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    async drop() {
      const a = postgres(adminUrl(base.toString()), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

export const randomEmail = (label = "user") => `${label}-${randomId(12).toLowerCase()}@test.example`;
export const randomTeam = () => `team-${randomId(10).toLowerCase()}`;

/** Both backends, for `describe.each(testBackends)`: every DB test runs on real Postgres and on PGlite. */
export const testBackends = [
  { name: "postgres", open: (): Promise<TestDb> => openTestPostgres() },
  { name: "pglite", open: (): Promise<TestDb> => openTestPglite() },
] as const;

/** `db` with a count of the statements sent through it (`execute` calls). */
export function countingStatements(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const wrapped = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "execute") return (...args: unknown[]) => (n++, (target.execute as (...a: unknown[]) => unknown)(...args));
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: wrapped, statements: () => n };
}

/** `db` whose statements fail ("connection lost") while `down()` says so, as an unreachable database's would. */
export function failingWhen(db: Db, down: () => boolean): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "execute")
        return (...args: unknown[]) => (down() ? Promise.reject(new Error("connection lost")) : (target.execute as (...a: unknown[]) => unknown)(...args));
      return Reflect.get(target, prop, receiver);
    },
  });
}
