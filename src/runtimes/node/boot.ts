/**
 * Builds the gateway for long-lived servers (Node and Bun): config from the environment, the database
 * (Postgres or embedded PGlite), migrations under an advisory lock, the Bedrock client and the app.
 */
import * as nodeCrypto from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import { sql } from "drizzle-orm";
import { createApp } from "../../app";
import { createBedrockClient } from "../../bedrock/client";
import { decodeChange, CHANGES_CHANNEL, type Change } from "../../db/notify";
import { seedModels } from "../../db/models";
import { defaultModelRows } from "../../models/catalogue";
import { databaseCatalogue } from "../../models/source";
import { bedrockControlEndpoint, bedrockRuntimeEndpoint, ConfigError, parseConfig, type Config } from "../../config";
import { randomIds, systemClock, type Deps } from "../../deps";
import { createShutdownSignal } from "../../gateway/shutdown-signal";
import type { Db } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { createLogger, type Logger } from "../../logger";
import { createStdoutWriter } from "./log-writer";
import { createReasoningStore } from "../../reasoning-store";
import { createBatchUsageWriter } from "../../usage/batch-writer";
import { createAdmissionLeases } from "../../db/admit";
import { insertUsageBatch } from "../../db/usage";
import { createCredentialsProvider } from "./credentials";
import { DatabaseInUseError, openDatabase } from "./database";
import { classifyDatabaseError, DatabaseUrlError, permanentDatabaseError } from "./database-errors";
import { createObservability } from "./metrics";
import { loadMigrations } from "./migrations";
import { createPendingTracker } from "./pending";
import { createRemoteImageFetcher } from "./remote-image-fetch";

export type Gateway = Awaited<ReturnType<typeof bootGateway>>;

/**
 * Subscribes to the admin-change channel so revocations, policy and model changes apply at once on this instance.
 * Without LISTEN (a PGlite reached through another process's socket) the caches' TTLs still apply.
 */
async function listenForChanges(database: { listen?(channel: string, fn: (payload: string) => void): Promise<void> }, logger: Logger) {
  const subscribers: ((c: Change) => void)[] = [];
  if (!database.listen) return undefined;
  try {
    await database.listen(CHANGES_CHANNEL, (payload) => {
      const change = decodeChange(payload);
      if (!change) return;
      logger.debug("admin change received", { kind: change.kind });
      for (const s of subscribers) s(change);
    });
  } catch (err) {
    logger.warn("cannot LISTEN for admin changes: caches expire on their TTL instead", { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
  return { subscribe: (fn: (c: Change) => void) => void subscribers.push(fn) };
}

/** Boots, or exits 1 with a one-line reason for the errors an operator can fix (config, database). */
export async function bootOrExit(config: Config, opts: Parameters<typeof bootGateway>[1] = {}): Promise<Gateway> {
  try {
    return await bootGateway(config, opts);
  } catch (err) {
    const known = err instanceof StartupError || err instanceof DatabaseInUseError || err instanceof DatabaseUrlError;
    console.error(`bedrock-gateway failed to start: ${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  }
}

/** Parses config or exits the process with the variables that are wrong. */
export function configOrExit(env: Record<string, unknown>): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

export class StartupError extends Error {}

/**
 * Containers often start before their database: keep trying for `timeoutMs`, then fail with one clear line.
 * With timeoutMs 0 (no migrations to run) an unreachable database is only a warning: /readyz reports it and
 * requests fail closed until it is back. A database or role that does not exist, or a refused password, fails at
 * once whatever `timeoutMs` is: waiting cannot fix it.
 */
async function waitForDatabase(db: Db, timeoutMs: number, logger: Logger, databaseUrl?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.execute(sql`select 1`);
      return;
    } catch (err) {
      const failure = databaseUrl ? classifyDatabaseError(err) : undefined;
      if (databaseUrl && failure?.kind === "permanent") throw permanentDatabaseError(databaseUrl, failure);
      const reason = rootCause(err);
      if (Date.now() >= deadline) {
        if (timeoutMs === 0) {
          logger.warn("database unreachable at start; serving anyway (see /readyz)", { reason });
          return;
        }
        throw new StartupError(`Cannot reach the database (${reason}) after ${Math.round(timeoutMs / 1000)} s. Check DATABASE_URL.`);
      }
      if (attempt === 0) logger.warn("waiting for the database", { reason });
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    }
  }
}

function rootCause(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause) e = e.cause;
  const code = (e as { code?: string })?.code;
  return [code, e instanceof Error ? e.message : String(e)].filter(Boolean).join(": ").slice(0, 300);
}

export async function bootGateway(config: Config, opts: { logger?: Logger; fetch?: typeof fetch } = {}) {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, createStdoutWriter());
  const database = await openDatabase(config, logger, { serveSocket: !config.DATABASE_URL });
  try {
    await waitForDatabase(database.db, config.MIGRATE_ON_START ? config.DB_CONNECT_TIMEOUT_MS : 0, logger, config.DATABASE_URL);
    if (config.MIGRATE_ON_START) {
      const { applied } = await runMigrations(database.db, loadMigrations());
      if (applied > 0) logger.info("migrations applied", { count: applied });
      // The seed fills missing aliases; entries of the MODELS setting replace theirs (explicit configuration wins).
      const seeded = await seedModels(
        database.db,
        defaultModelRows(config.MODELS),
        config.MODELS.map((m) => m.id),
      );
      if (seeded > 0) logger.info("model catalogue seeded", { models: seeded });
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const pending = createPendingTracker(logger);
  // Looked up before serving, so the log says at start which AWS identity signs (or why none does).
  const credentials = createCredentialsProvider(config, process.env, logger);
  await credentials.announce();
  const bedrock = createBedrockClient({
    region: config.AWS_REGION,
    runtimeEndpoint: bedrockRuntimeEndpoint(config),
    controlEndpoint: bedrockControlEndpoint(config),
    credentials,
    fetch: opts.fetch ?? globalThis.fetch,
    syncCrypto: nodeSyncCrypto,
    logger,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
    retries: config.UPSTREAM_RETRIES,
  });
  // Prometheus and OpenTelemetry, as configured; the usage queue is read at each scrape.
  const observability = await createObservability(config, process.env, logger, { usageRowsQueued: () => usageWriter.pendingRows().length });
  const usageWriter = createBatchUsageWriter({
    db: database.db,
    logger,
    waitUntil: pending.waitUntil,
    maxQueued: config.USAGE_QUEUE_MAX,
    insert: async (rows) => {
      await insertUsageBatch(database.db, rows);
      observability.usageRowsWritten(rows.length);
    },
  });
  // Raised by the graceful stop (shutdown.ts) at its drain deadline, to end the streams still open.
  const shutdown = createShutdownSignal();
  const deps: Deps = {
    config,
    db: database.db,
    bedrock,
    // Admin changes arrive over LISTEN/NOTIFY; the TTL only bounds how stale a catalogue can get if a notification is lost.
    catalogue: databaseCatalogue({ ttlMs: 60_000, now: () => Date.now(), logger }),
    changes: await listenForChanges(database, logger),
    clock: systemClock,
    ids: randomIds,
    waitUntil: pending.waitUntil,
    nextTurn: () => new Promise<void>((resolve) => setImmediate(resolve)),
    logger,
    reasoningStore: createReasoningStore(),
    usageWriter,
    metrics: observability.metrics,
    clientAddress: peerAddress,
    // Loaded and not expired: the provider answers empty credentials otherwise (and then looks again, rate-limited).
    readiness: { credentials: async () => (await credentials()).accessKeyId !== "" },
    hashApiKey: sha256Hex,
    fetchRemoteImage: config.ALLOW_REMOTE_IMAGES
      ? createRemoteImageFetcher({ maxBytes: config.REMOTE_IMAGE_MAX_BYTES, timeoutMs: config.REMOTE_IMAGE_TIMEOUT_MS })
      : undefined,
    shutdown,
    admissionLeases: createAdmissionLeases({
      max: config.ADMISSION_LEASE_MAX,
      waitUntil: pending.waitUntil,
      onError: (err) => logger.warn("admission lease release failed: retried every second until the database takes it", { error: err }),
    }),
  };
  // The drain closes the database last: buffered spans are exported just before it.
  const closeDatabase = database.close;
  database.close = async () => {
    await observability.shutdown();
    await closeDatabase();
  };
  return { app: createApp(deps), deps, config, logger, database, pending, shutdown };
}

// crypto.hash (Node 20.12+, Bun): a one-shot digest without a Hash object per call.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/** SHA-256 in hex, for API keys (once per request) and SigV4. */
const sha256Hex: (data: string) => string = oneShotHash
  ? (data) => oneShotHash("sha256", data, "hex")
  : (data) => createHash("sha256").update(data).digest("hex");

/** SigV4's hashes done in place: Web Crypto would add four promise round trips (and key imports) per request. */
const nodeSyncCrypto = {
  sha256Hex,
  hmacSha256: (key: string | Uint8Array, data: string) => createHmac("sha256", key).update(data).digest(),
  hmacSha256Hex: (key: Uint8Array, data: string) => createHmac("sha256", key).update(data).digest("hex"),
};

/**
 * The connection's peer address: @hono/node-server passes the Node request as `env.incoming`; the Bun server
 * passes `env.remoteAddress` (from Bun's `server.requestIP`).
 */
function peerAddress(env: unknown): string | null {
  const e = env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddress?: string } | undefined;
  return e?.incoming?.socket?.remoteAddress ?? e?.remoteAddress ?? null;
}
