import { ConfigError } from "../config";
import { AmbiguousKeyError } from "../db/keys";
import { DatabaseInUseError } from "../runtimes/node/database";
import { keysCommand } from "./commands/keys";
import { migrateCommand } from "./commands/migrate";
import { usageCommand } from "./commands/usage";
import type { CliContext } from "./context";
import { UsageError } from "./format";

export const HELP = `bedrock-gateway: manage the gateway's database (API keys, usage, migrations)

Usage:
  bedrock-gateway migrate
  bedrock-gateway keys create --user EMAIL [--team TEAM] [--name NAME] [--expires DATE|90d] [--json]
  bedrock-gateway keys list [--user EMAIL] [--team TEAM] [--json]
  bedrock-gateway keys revoke ID_OR_PREFIX [--json]
  bedrock-gateway usage [--since 7d|DATE] [--until DATE] [--by user|team|model|key]
                        [--user EMAIL] [--team TEAM] [--json]

keys create prints the key once: its last line of output is the key alone
(with --json, stdout is one JSON object with a "key" field). Only a SHA-256
hash and the visible prefix are stored.

Database: DATABASE_URL (Postgres) if set; otherwise PGlite in DATA_DIR/pglite
(default ./data). While a gateway runs on that folder, commands go through the
loopback socket it serves (DATA_DIR/pglite.url). Pending migrations are applied
before every command.

Exit codes: 0 ok, 1 error, 2 bad arguments.`;

/** Runs one CLI invocation and returns its exit code; all output goes through ctx.io. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  if (argv.includes("--help") || argv.includes("-h") || command === "help") {
    ctx.io.out(HELP);
    return 0;
  }
  try {
    switch (command) {
      case "migrate":
        return await migrateCommand(rest, ctx);
      case "keys":
        return await keysCommand(rest, ctx);
      case "usage":
        return await usageCommand(rest, ctx);
      case undefined:
        ctx.io.err(HELP);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.io.err(`bedrock-gateway: ${err.message}`);
      ctx.io.err(`Run "bedrock-gateway --help" for usage.`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof AmbiguousKeyError || err instanceof DatabaseInUseError) {
      ctx.io.err(`bedrock-gateway: ${err.message}`);
      return 1;
    }
    ctx.io.err(`bedrock-gateway: ${describeError(err)}`);
    return 1;
  }
}

// Drizzle wraps driver errors ("Failed query: ..." with the SQL); the driver's own message is the useful part.
function describeError(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; code?: string } | undefined;
  while (e?.cause && typeof e.cause === "object") e = e.cause as typeof e;
  const message = e?.message || String(err);
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}
