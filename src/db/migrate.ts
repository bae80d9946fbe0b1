import { sql } from "drizzle-orm";
import type { MigrationMeta } from "drizzle-orm/migrator";
import type { Db } from "./client";
import { rowsOf } from "./rows";

export type { MigrationMeta };
export type MigrationResult = { applied: number; total: number };

// Fixed key for pg_advisory_xact_lock: ASCII "bgw_mig". Every gateway process and CLI run that migrates
// takes it, so concurrent starts apply each migration once; the others wait, then find nothing to do.
const MIGRATION_LOCK_KEY = sql.raw("27697946848594279");

// The same bookkeeping as drizzle-orm's own migrator (schema `drizzle`, table `__drizzle_migrations`,
// created_at = the journal's folderMillis), so `drizzle-kit migrate` and this function agree on what ran.
const TABLE = sql.raw(`"drizzle"."__drizzle_migrations"`);

/**
 * Applies pending migrations in one transaction under a Postgres advisory lock.
 * Idempotent and safe to call from several processes at once; cheap when nothing is pending
 * (one read, no lock).
 */
export async function runMigrations(db: Db, migrations: MigrationMeta[]): Promise<MigrationResult> {
  const total = migrations.length;
  const last = await lastAppliedMillis(db);
  if (last !== undefined && migrations.every((m) => m.folderMillis <= last)) return { applied: 0, total };

  const applied = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`create schema if not exists "drizzle"`);
    await tx.execute(sql`create table if not exists ${TABLE} (id serial primary key, hash text not null, created_at bigint)`);
    // Re-read under the lock: another process may have applied everything while we waited.
    const rows = rowsOf<{ created_at: unknown }>(await tx.execute(sql`select created_at from ${TABLE} order by created_at desc limit 1`));
    const lastUnderLock = rows[0]?.created_at == null ? undefined : Number(rows[0].created_at);
    let count = 0;
    for (const m of migrations) {
      if (lastUnderLock !== undefined && m.folderMillis <= lastUnderLock) continue;
      for (const stmt of m.sql) {
        if (stmt.trim() !== "") await tx.execute(sql.raw(stmt));
      }
      await tx.execute(sql`insert into ${TABLE} (hash, created_at) values (${m.hash}, ${m.folderMillis})`);
      count++;
    }
    return count;
  });
  return { applied, total };
}

/** Number of migrations not yet applied (for `migrate --check` style reporting). */
export async function pendingMigrations(db: Db, migrations: MigrationMeta[]): Promise<number> {
  const last = await lastAppliedMillis(db);
  return migrations.filter((m) => last === undefined || m.folderMillis > last).length;
}

// undefined when the bookkeeping table does not exist or is empty.
async function lastAppliedMillis(db: Db): Promise<number | undefined> {
  const exists = rowsOf<{ t: unknown }>(await db.execute(sql`select to_regclass('"drizzle"."__drizzle_migrations"')::text as t`));
  if (exists[0]?.t == null) return undefined;
  const rows = rowsOf<{ m: unknown }>(await db.execute(sql`select max(created_at)::text as m from ${TABLE}`));
  return rows[0]?.m == null ? undefined : Number(rows[0].m);
}
