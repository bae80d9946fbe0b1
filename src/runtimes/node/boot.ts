/**
 * Builds the gateway for long-lived servers (Node and Bun): config from the environment, the database
 * (Postgres or embedded PGlite), migrations under an advisory lock, the Bedrock client and the app.
 */
import { createApp } from "../../app";
import { createBedrockClient } from "../../bedrock/client";
import { createCatalogue, DEFAULT_MODELS, mergeModels } from "../../catalogue";
import { bedrockControlEndpoint, bedrockRuntimeEndpoint, ConfigError, parseConfig, type Config } from "../../config";
import { randomIds, systemClock, type Deps } from "../../deps";
import { runMigrations } from "../../db/migrate";
import { createLogger, type Logger } from "../../logger";
import { createReasoningStore } from "../../reasoning-store";
import { createBatchUsageWriter } from "../../usage/batch-writer";
import { createCredentialsProvider } from "./credentials";
import { openDatabase } from "./database";
import { loadMigrations } from "./migrations";
import { createPendingTracker } from "./pending";

export type Gateway = Awaited<ReturnType<typeof bootGateway>>;

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

export async function bootGateway(config: Config, opts: { logger?: Logger; fetch?: typeof fetch } = {}) {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const database = await openDatabase(config, logger, { serveSocket: !config.DATABASE_URL });
  try {
    if (config.MIGRATE_ON_START) {
      const { applied } = await runMigrations(database.db, loadMigrations());
      if (applied > 0) logger.info("migrations applied", { count: applied });
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const pending = createPendingTracker(logger);
  const bedrock = createBedrockClient({
    region: config.AWS_REGION,
    runtimeEndpoint: bedrockRuntimeEndpoint(config),
    controlEndpoint: bedrockControlEndpoint(config),
    credentials: createCredentialsProvider(config, process.env, logger),
    fetch: opts.fetch ?? globalThis.fetch,
    logger,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
    retries: config.UPSTREAM_RETRIES,
  });
  const deps: Deps = {
    config,
    db: database.db,
    bedrock,
    catalogue: createCatalogue(mergeModels(DEFAULT_MODELS, config.MODELS)),
    clock: systemClock,
    ids: randomIds,
    waitUntil: pending.waitUntil,
    logger,
    reasoningStore: createReasoningStore(),
    usageWriter: createBatchUsageWriter({ db: database.db, logger, waitUntil: pending.waitUntil }),
  };
  return { app: createApp(deps), deps, config, logger, database, pending };
}
