import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema";

/** Any Drizzle Postgres database: postgres.js (Node, Bun, Workers via Hyperdrive) or PGlite (embedded default). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
