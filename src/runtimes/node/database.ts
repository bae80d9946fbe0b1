// The database choice for Node: Postgres through postgres.js when DATABASE_URL is set, otherwise PGlite
// in DATA_DIR/pglite. A gateway can serve its PGlite over the Postgres protocol (pglite-socket) so the CLI
// and psql reach the same data while it runs; see pglite-lock.ts and pglite-share.ts.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import postgres from "postgres";
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { dbFromPostgresJs } from "../../db/connect";
import { connectTimeoutSeconds } from "../../db/deadline";
import { withPreparedStatements } from "../../db/prepared";
import * as schema from "../../db/schema";
import type { Logger } from "../../logger";
import { checkDatabaseUrl } from "./database-errors";
import { pgliteDataPath, removePgliteUrl, tryLockPgliteFolder, writePgliteUrl, type FolderHolder } from "./pglite-lock";
import { shareWithSocketClients } from "./pglite-share";

export type DatabaseKind = "postgres" | "pglite" | "pglite-socket";

export type OpenDatabaseOptions = {
  /** Serve the PGlite folder on 127.0.0.1 for the CLI and psql (gateway processes). Ignored with DATABASE_URL. */
  serveSocket?: boolean;
  /** Port for the socket; 0 or absent picks a free one. */
  socketPort?: number;
  /** postgres.js pool size with DATABASE_URL (default: DB_POOL_MAX). */
  poolMax?: number;
  /** Prepare the request path's statements on the pool (default: DB_PREPARE). */
  prepare?: boolean;
  /** How long to wait for another process (e.g. a CLI command) to let go of the PGlite folder. */
  lockTimeoutMs?: number;
};

export type Database = {
  db: Db;
  /** postgres: DATABASE_URL; pglite: this process owns the folder; pglite-socket: through a running gateway. */
  kind: DatabaseKind;
  /** The loopback URL of the served PGlite (when serving), or the one we connected through. */
  databaseUrl?: string;
  /** LISTEN on a channel (admin change announcements); each NOTIFY payload is passed to `onPayload`. */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
};

export class DatabaseInUseError extends Error {
  constructor(dataDir: string, holder: FolderHolder, detail: string) {
    super(
      `The PGlite data folder ${pgliteDataPath(dataDir)} is in use by process ${holder.pid} on ${holder.host}${detail ? ` ${detail}` : ""}. ` +
        "Stop that process, set DATABASE_URL, or run the gateway (which serves the folder to the CLI).",
    );
    this.name = "DatabaseInUseError";
  }
}

export async function openDatabase(config: Config, logger: Logger, opts: OpenDatabaseOptions = {}): Promise<Database> {
  if (config.DATABASE_URL)
    return openPostgres(config.DATABASE_URL, {
      max: opts.poolMax ?? config.DB_POOL_MAX,
      prepare: opts.prepare ?? config.DB_PREPARE,
      connectTimeout: connectTimeoutSeconds(config.DB_QUERY_TIMEOUT_MS),
      logger,
    });
  const dataDir = config.DATA_DIR;
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 5_000);
  for (;;) {
    const lock = tryLockPgliteFolder(dataDir);
    if ("release" in lock) {
      try {
        return await openPgliteFolder(dataDir, lock.release, logger, opts);
      } catch (err) {
        lock.release();
        throw err;
      }
    }
    if (lock.holder.url && !opts.serveSocket) return connectThroughSocket(lock.holder.url, dataDir, lock.holder, logger);
    if (Date.now() >= deadline) {
      throw new DatabaseInUseError(dataDir, lock.holder, opts.serveSocket ? "" : "and not served over a socket");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openPostgres(
  url: string,
  { max, prepare, connectTimeout, logger }: { max: number; prepare: boolean; connectTimeout: number; logger: Logger },
): Promise<Database> {
  checkDatabaseUrl(url);
  let client: postgres.Sql;
  try {
    // connect_timeout: postgres.js waits 30 s by default for a connection, which a request would wait too.
    client = postgres(url, { max, prepare, onnotice: () => {}, connect_timeout: connectTimeout, backoff: reconnectBackoffSeconds });
  } catch (err) {
    // postgres.js parses the URL here (TypeError: Invalid URL, URIError for a bad %-escape); say which variable.
    checkDatabaseUrl(url, err);
    throw err;
  }
  logger.debug("database: postgres", { poolMax: max, prepare });
  const db = dbFromPostgresJs(client);
  // The request path's statements, prepared once per connection (postgres.js keeps them by text).
  if (prepare) withPreparedStatements(db, (text, params) => client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }));
  return {
    db,
    kind: "postgres",
    listen: async (channel, onPayload) => {
      await client.listen(channel, onPayload);
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Seconds a pool connection waits before connecting again after `retries` failed connections (postgres.js
 * `backoff`, failures counted across the pool and reset by the next successful connection). postgres.js's own
 * grows as 3^n / 100 s up to 20 s, so after a few seconds of outage a pool of ten waits 10–20 s to reconnect: the
 * gateway kept answering 503 that long after its database was back. Here the wait is capped at one second, with
 * jitter (half to all of it) so the connections of many instances do not return in step.
 */
export function reconnectBackoffSeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1);
}

const PGLITE_CONF = ["shared_buffers=16MB", "work_mem=4MB"];

async function openPgliteFolder(dataDir: string, releaseLock: () => void, logger: Logger, opts: OpenDatabaseOptions): Promise<Database> {
  const folder = pgliteDataPath(dataDir);
  mkdirSync(folder, { recursive: true });
  // The embedded database serves one gateway: Postgres's default 128 MB of shared buffers is more than it needs
  // (measured RSS on reopening a folder: 326 MiB with the defaults, 208 MiB with these).
  const pg = await PGlite.create(folder, { postgresqlconf: PGLITE_CONF });
  const db = drizzlePglite({ client: pg, schema }) as unknown as Db;
  if (!opts.serveSocket) {
    logger.debug("database: pglite", { folder });
    const close = closeOnce(async () => {
      await pg.close();
      releaseLock();
    });
    return { db, kind: "pglite", listen: (channel, onPayload) => pg.listen(channel, onPayload).then(() => {}), close };
  }

  // NOTIFYs committed through the socket (the CLI) arrive in the socket's stream; hand them to our listeners too.
  const socketListeners = new Map<string, ((payload: string) => void)[]>();
  const shared = shareWithSocketClients(pg, undefined, (channel, payload) => {
    for (const fn of socketListeners.get(channel) ?? []) fn(payload);
  });
  // maxConnections 1: PGlite is a single session, and interleaving two clients' transactions would mix them.
  const server = new PGLiteSocketServer({ db: shared.forSocket, host: "127.0.0.1", port: opts.socketPort ?? 0, maxConnections: 1 });
  try {
    await server.start();
  } catch (err) {
    await pg.close();
    throw err;
  }
  // pglite-socket accepts any user and database name; the session is always postgres/postgres.
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  writePgliteUrl(dataDir, url);
  logger.info("database: pglite served on loopback", { folder, url });
  return {
    db,
    kind: "pglite",
    databaseUrl: url,
    listen: async (channel, onPayload) => {
      socketListeners.set(channel, [...(socketListeners.get(channel) ?? []), onPayload]);
      await pg.listen(channel, onPayload);
    },
    close: closeOnce(async () => {
      removePgliteUrl(dataDir);
      await server.stop();
      await shared.reset();
      await pg.close();
      releaseLock();
    }),
  };
}

async function connectThroughSocket(url: string, dataDir: string, holder: FolderHolder, logger: Logger): Promise<Database> {
  // One connection: the socket serves one client at a time. Unnamed statements only (prepare: false), so
  // nothing this process prepares outlives it in the gateway's single PGlite session.
  const client = postgres(url, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 5 });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await client`select 1`;
      break;
    } catch (err) {
      // "Too many connections": another CLI command holds the socket's single slot; it will not be long.
      if (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await client.end({ timeout: 1 });
      throw new DatabaseInUseError(dataDir, holder, `and its socket ${url} did not answer (${(err as Error).message})`);
    }
  }
  logger.debug("database: pglite through a running gateway", { url });
  return {
    db: dbFromPostgresJs(client),
    kind: "pglite-socket",
    databaseUrl: url,
    close: () => client.end({ timeout: 5 }),
  };
}

function closeOnce(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
