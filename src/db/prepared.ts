import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { rowsOf } from "./rows";

/** Runs a statement with `$n` parameters as a prepared statement of the connection it lands on. */
export type PreparedRunner = (text: string, params: readonly unknown[]) => Promise<readonly Record<string, unknown>[]>;

const runners = new WeakMap<Db, PreparedRunner>();

/**
 * Marks `db` as able to prepare statements. Drizzle sends every `db.execute()` unnamed, which postgres.js does in
 * two round trips (Parse and Describe, then Bind and Execute); a prepared statement is parsed once per connection
 * and then costs one. Only the statements of the request path go through `runPrepared` (admission, settlement).
 */
export function withPreparedStatements(db: Db, run: PreparedRunner): Db {
  runners.set(db, run);
  return db;
}

/**
 * Runs `text` (parameters `$1`…) prepared where the database handle can prepare, else through drizzle as an unnamed
 * statement (PGlite, Workers' per-request clients, a pool with DB_PREPARE=false). Returns the rows.
 */
export async function runPrepared<T = Record<string, unknown>>(db: Db, text: string, params: readonly unknown[]): Promise<T[]> {
  const run = runners.get(db);
  if (run) return (await run(text, params)) as unknown as T[];
  return rowsOf<T>(await db.execute(toSql(text, params)));
}

/** `text` with its `$n` placeholders bound to `params`, as a drizzle SQL value. */
export function toSql(text: string, params: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      if (parts[i]) chunks.push(sql.raw(parts[i]!));
      continue;
    }
    const n = Number(parts[i]);
    if (!(n >= 1 && n <= params.length)) throw new Error(`statement parameter $${parts[i]} has no value (${params.length} given)`);
    chunks.push(sql`${params[n - 1]}`);
  }
  return sql.join(chunks);
}
