/**
 * A postgres.js client per request, as Cloudflare documents for Hyperdrive: Workers cannot share a socket
 * between requests, and Hyperdrive does the pooling. postgres.js reaches Postgres through `cloudflare:sockets`
 * (its `workerd` export, enabled by nodejs_compat).
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Db } from "../../db/client";
import * as schema from "../../db/schema";
import type { WorkerEnv } from "./env";

export type RequestDatabase = { db: Db; end(): Promise<void> };

export class MissingDatabaseError extends Error {
  constructor() {
    super("The Worker has no database: bind Hyperdrive as HYPERDRIVE (wrangler.toml) or set the DATABASE_URL secret.");
    this.name = "MissingDatabaseError";
  }
}

/** `connectTimeout`: seconds to wait for a connection (see connectTimeoutSeconds); a request waits that long at most. */
export function openRequestDatabase(env: WorkerEnv, opts: { connectTimeout?: number } = {}): RequestDatabase {
  const url = env.HYPERDRIVE?.connectionString ?? (typeof env.DATABASE_URL === "string" && env.DATABASE_URL !== "" ? env.DATABASE_URL : undefined);
  if (!url) throw new MissingDatabaseError();
  const client = postgres(url, {
    // Workers allow 6 open connections per request; Cloudflare's Hyperdrive guide uses 5.
    max: 5,
    // Skips the pg_type query on every new connection (one per request here). Drizzle parses text[] itself.
    fetch_types: false,
    onnotice: () => {},
    connect_timeout: opts.connectTimeout ?? 10,
  });
  return {
    db: drizzle({ client, schema }) as unknown as Db,
    end: () => client.end({ timeout: 5 }),
  };
}
