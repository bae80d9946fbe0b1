import { parseConfig, type Config } from "../config";
import { pendingMigrations, runMigrations } from "../db/migrate";
import type { Clock } from "../deps";
import { createLogger } from "../logger";
import { openDatabase, type Database } from "../runtimes/node/database";
import { classifyDatabaseError, permanentDatabaseError } from "../runtimes/node/database-errors";
import { loadMigrations } from "../runtimes/node/migrations";
import { redactUrl } from "./format";

export type Io = { out(line: string): void; err(line: string): void };

/** Everything a command needs from the outside, so commands stay testable in-process. */
export type CliContext = {
  env: Record<string, string | undefined>;
  io: Io;
  clock: Clock;
  /** Recorded in the audit log, e.g. `cli:alice`. */
  actor: string;
};

export type Opened = { database: Database; config: Config; migrationsApplied: number };

/** The schema is behind this version of the CLI: only `migrate` may change it (exit code 1). */
export class PendingMigrationsError extends Error {
  constructor(pending: number) {
    super(`the database has ${pending} pending migration${pending === 1 ? "" : "s"}: run \`bedrock-gateway migrate\` first`);
    this.name = "PendingMigrationsError";
  }
}

/**
 * Opens the configured database, runs `fn`, closes. Only `migrate` (`{ migrate: true }`) applies migrations: every
 * other command checks (one cheap read) and refuses to run against a schema with pending ones.
 */
export async function withDatabase<T>(ctx: CliContext, fn: (opened: Opened) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const config = parseConfig(ctx.env);
  const logger = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, (l) => ctx.io.err(l));
  const database = await openDatabase(config, logger, { poolMax: 2 });
  try {
    let applied = 0;
    let pending = 0;
    try {
      if (opts.migrate) ({ applied } = await runMigrations(database.db, loadMigrations()));
      else pending = await pendingMigrations(database.db, loadMigrations());
    } catch (err) {
      // The first statement is where a wrong database, role or password shows: name DATABASE_URL and the fix.
      const failure = config.DATABASE_URL && database.kind === "postgres" ? classifyDatabaseError(err) : undefined;
      throw failure?.kind === "permanent" ? permanentDatabaseError(config.DATABASE_URL!, failure) : err;
    }
    if (pending > 0) throw new PendingMigrationsError(pending);
    return await fn({ database, config, migrationsApplied: applied });
  } finally {
    await database.close();
  }
}

export function describeDatabase({ database, config }: Opened): string {
  switch (database.kind) {
    case "postgres":
      return `Postgres ${redactUrl(config.DATABASE_URL ?? "")}`;
    case "pglite":
      return `PGlite in ${config.DATA_DIR}/pglite`;
    case "pglite-socket":
      return `PGlite in ${config.DATA_DIR}/pglite, through the running gateway at ${database.databaseUrl}`;
  }
}

// One line: `--json` output is exactly one JSON value, easy to pipe into jq or JSON.parse.
export const printJson = (io: Io, value: unknown) => io.out(JSON.stringify(value));
