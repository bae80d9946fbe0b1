import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseConfig, type Config } from "../config";
import { runMigrations } from "../db/migrate";
import type { Clock } from "../deps";
import { createLogger } from "../logger";
import { openDatabase, type Database } from "../runtimes/node/database";
import { classifyDatabaseError, permanentDatabaseError } from "../runtimes/node/database-errors";
import { loadMigrations } from "../runtimes/node/migrations";
import { UsageError, redactUrl } from "./format";

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

/** Opens the configured database, applies pending migrations (one cheap read when there are none), runs `fn`, closes. */
export async function withDatabase<T>(ctx: CliContext, fn: (opened: Opened) => Promise<T>): Promise<T> {
  const config = parseConfig(ctx.env);
  const logger = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, (l) => ctx.io.err(l));
  const database = await openDatabase(config, logger, { poolMax: 2 });
  try {
    let applied: number;
    try {
      ({ applied } = await runMigrations(database.db, loadMigrations()));
    } catch (err) {
      // The first statement is where a wrong database, role or password shows: name DATABASE_URL and the fix.
      const failure = config.DATABASE_URL && database.kind === "postgres" ? classifyDatabaseError(err) : undefined;
      throw failure?.kind === "permanent" ? permanentDatabaseError(config.DATABASE_URL!, failure) : err;
    }
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

/** node:util parseArgs with its errors turned into UsageError (exit code 2). */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return parsed;
}

// One line: `--json` output is exactly one JSON value, easy to pipe into jq or JSON.parse.
export const printJson = (io: Io, value: unknown) => io.out(JSON.stringify(value));
