import { drizzle } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Db } from "./client";
import * as schema from "./schema";

/**
 * A Db over a postgres.js client: the Node/Bun pool, a Workers per-request client through Hyperdrive,
 * or a one-connection client to a gateway's PGlite socket. The caller owns (and ends) the client.
 */
export function dbFromPostgresJs(client: Sql): Db {
  // drizzle's postgres-js HKT differs from the generic PgQueryResultHKT in Db; the query API is the same.
  return drizzle({ client, schema }) as unknown as Db;
}
