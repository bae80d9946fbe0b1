import { ConfigError } from "../config";
import { AdminError } from "../db/audit";
import { AmbiguousKeyError } from "../db/keys";
import { DatabaseInUseError } from "../runtimes/node/database";
import { closestName } from "./args";
import { keysCommand } from "./commands/keys";
import { migrateCommand } from "./commands/migrate";
import { modelsCommand } from "./commands/models";
import { policyCommand } from "./commands/policies";
import { usageCommand } from "./commands/usage";
import { PendingMigrationsError, type CliContext } from "./context";
import { UsageError } from "./format";

export const HELP = `bedrock-gateway: administer the gateway's database (keys, users, teams, models, usage)

Usage:
  bedrock-gateway migrate
  bedrock-gateway keys create --user EMAIL [--team TEAM] [--name NAME] [POLICY]
                              [--expires DATE|DURATION] [--json]
  bedrock-gateway keys update ID_OR_PREFIX [POLICY] [--expires DATE|DURATION|none] [--json]
  bedrock-gateway keys rotate ID_OR_PREFIX [--grace DURATION] [--expires DATE|DURATION] [--json]
  bedrock-gateway keys revoke ID_OR_PREFIX [--json]
  bedrock-gateway keys list [--user EMAIL] [--team TEAM] [--json]
  bedrock-gateway users set EMAIL [POLICY] [--json]
  bedrock-gateway users list [--json]
  bedrock-gateway teams set TEAM [POLICY] [--json]
  bedrock-gateway teams list [--json]
  bedrock-gateway models list [--json]
  bedrock-gateway models set ALIAS --target BEDROCK_ID[@REGION] [--target ...]
                             [--input PRICE] [--output PRICE] [--cache-read PRICE]
                             [--cache-write PRICE] [--target-price BEDROCK_ID[@REGION]=IN,OUT[,CR[,CW]] ...]
                             [--alias NAME ...] [--kind chat|embedding] [--json]
  bedrock-gateway models enable|disable ALIAS
  bedrock-gateway usage report [--since DATE] [--until DATE] [--by WORD[,WORD]]
                               [--user EMAIL] [--team TEAM] [--format table|csv|json] [--json]

POLICY (keys, users and teams):
  --models LIST          comma-separated model ids, aliases or wildcards (claude-*,nova-pro)
  --rpm N, --tpm N       requests / tokens per minute
  --budget-daily USD     spend per UTC day, e.g. 5 or 12.50 (at most six decimals)
  --budget-monthly USD   spend per UTC month
  A flag given as none or empty clears that limit (--rpm none, --models none); a flag
  left out keeps its value. A request must fit every level that applies (key, user,
  team); a key inherits its user's and team's model lists unless it narrows them.

keys create and keys rotate print the key once: the last line of output is the
key alone (with --json, stdout is one JSON object with a "key" member). Only a
SHA-256 hash and the visible prefix are stored. keys rotate issues a new key with
the same owner, team, name and policy; the old key keeps working for --grace
(default 24h; --grace 0: stops at once). ID_OR_PREFIX is a key id, its prefix
(bgw_live_ab12cd) or an unambiguous start of it.

models set: prices in USD per million tokens; several --target are the ordered
fallback list. A new model without --input and --output has an unknown price; an
existing one keeps its prices unless given. --alias none removes the other names.
--target-price gives one listed target a price of its own (=none: the model's).

usage report: requests (including those refused by policy), errors, tokens and
spend. --by is one or two of user, team, key, model, day (team,user; user,model).
--since defaults to 30d, --until to now; --until is exclusive; days are UTC.
usage without report is the same command; --json is --format json.

DATE is an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z; UTC unless an
offset is given); DURATION is a number with s, m, h or d (30s, 90m, 12h, 30d),
counted forward for --expires and --grace, back from now for --since/--until.

Database: DATABASE_URL (Postgres) if set; otherwise PGlite in DATA_DIR/pglite
(default ./data). While a gateway runs on that folder, commands go through the
loopback socket it serves (DATA_DIR/pglite.url). Only migrate changes the schema
(and adds the default model catalogue); other commands stop with exit code 1
while migrations are pending.

Exit codes: 0 ok, 1 error, 2 bad arguments.`;

const COMMANDS = ["migrate", "keys", "users", "teams", "models", "usage", "help"] as const;

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
      case "users":
        return await policyCommand("user", rest, ctx);
      case "teams":
        return await policyCommand("team", rest, ctx);
      case "models":
        return await modelsCommand(rest, ctx);
      case "usage":
        return await usageCommand(rest, ctx);
      case undefined:
        ctx.io.err(HELP);
        return 2;
      default: {
        const near = closestName(command, COMMANDS);
        throw new UsageError(`unknown command "${command}"${near ? ` (did you mean "${near}"?)` : ""}; see bedrock-gateway --help`);
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.io.err(`bedrock-gateway: ${err.message}`);
      return 2;
    }
    if (
      err instanceof ConfigError ||
      err instanceof AdminError ||
      err instanceof AmbiguousKeyError ||
      err instanceof DatabaseInUseError ||
      err instanceof PendingMigrationsError
    ) {
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
