import { usageReport } from "../../db/report";
import { type FlagSpec, parseFlags } from "../args";
import { printJson, withDatabase, type CliContext } from "../context";
import { UsageError } from "../format";
import { parseBy, reportCsv, reportJson, reportTable } from "../report-format";
import { optionalText, parseEmail, parseSince } from "../values";

const FLAGS = {
  since: "string",
  until: "string",
  by: "string",
  user: "string",
  team: "string",
  format: "string",
  json: "boolean",
} satisfies FlagSpec;

/** The report's window when `--since` is not given. */
const DEFAULT_SINCE = "30d";
const FORMATS = ["table", "csv", "json"] as const;

/** `usage report …`, and `usage …` for short. */
export async function usageCommand(args: string[], ctx: CliContext): Promise<number> {
  const rest = args[0] === "report" ? args.slice(1) : args;
  const { values } = parseFlags(rest, FLAGS);
  const format = values.json ? "json" : (values.format?.trim().toLowerCase() ?? "table");
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be table, csv or json (got "${values.format}")`);
  if (values.json && values.format !== undefined && values.format.trim().toLowerCase() !== "json") {
    throw new UsageError(`--json and --format ${values.format} contradict each other`);
  }
  const now = ctx.clock.now();
  const query = {
    by: parseBy(values.by ?? "user"),
    since: parseSince(values.since ?? DEFAULT_SINCE, now),
    until: values.until === undefined ? new Date(now) : parseSince(values.until, now, "--until"),
    user: values.user === undefined ? undefined : parseEmail(values.user),
    team: optionalText(values.team, "--team") ?? undefined,
  };
  if (query.until.getTime() <= query.since.getTime()) {
    throw new UsageError(`--until (${query.until.toISOString()}) must be after --since (${query.since.toISOString()})`);
  }
  return withDatabase(ctx, async ({ database }) => {
    const rows = await usageReport(database.db, query);
    if (format === "json") {
      printJson(ctx.io, reportJson(rows, query.by));
      return 0;
    }
    if (format === "csv") {
      for (const line of reportCsv(rows, query.by)) ctx.io.out(line);
      return 0;
    }
    const period = `${query.since.toISOString()} to ${query.until.toISOString()} (UTC, end exclusive)`;
    if (rows.length === 0) {
      ctx.io.out(`No usage from ${period}.`);
      return 0;
    }
    ctx.io.out(`Usage by ${query.by.join(" and ")}, ${period}`);
    for (const line of reportTable(rows, query.by)) ctx.io.out(line);
    return 0;
  });
}
