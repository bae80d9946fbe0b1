import { usageSummary, type UsageGroupBy, type UsageSummaryRow } from "../../db/usage";
import { parseCommandArgs, printJson, withDatabase, type CliContext } from "../context";
import { UsageError, formatInt, formatUsd, optionalText, parseEmail, parseSince, table } from "../format";

const GROUPS: readonly UsageGroupBy[] = ["user", "team", "model", "key"];

export async function usageCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    since: { type: "string", default: "30d" },
    until: { type: "string" },
    by: { type: "string", default: "user" },
    user: { type: "string" },
    team: { type: "string" },
    json: { type: "boolean" },
  });
  const groupBy = values.by as UsageGroupBy;
  if (!GROUPS.includes(groupBy)) throw new UsageError(`--by must be one of ${GROUPS.join(", ")}`);
  const now = ctx.clock.now();
  const query = {
    groupBy,
    since: parseSince(values.since, now),
    until: values.until === undefined ? undefined : parseSince(values.until, now, "--until"),
    user: values.user === undefined ? undefined : parseEmail(values.user),
    team: optionalText(values.team, "--team") ?? undefined,
  };
  return withDatabase(ctx, async ({ database }) => {
    const rows = await usageSummary(database.db, query);
    const total = sumRows(rows);
    if (values.json) {
      printJson(ctx.io, {
        groupBy,
        since: query.since.toISOString(),
        until: query.until?.toISOString() ?? null,
        rows,
        total,
      });
      return 0;
    }
    const period = `${query.since.toISOString()} to ${query.until?.toISOString() ?? "now"}`;
    if (rows.length === 0) {
      ctx.io.out(`No usage from ${period}.`);
      return 0;
    }
    ctx.io.out(`Usage by ${groupBy}, ${period}`);
    const cells = (label: string, r: Omit<UsageSummaryRow, "group" | "label">) => [
      label,
      formatInt(r.requests),
      formatInt(r.errors),
      formatInt(r.inputTokens),
      formatInt(r.outputTokens),
      formatInt(r.cacheReadTokens),
      formatInt(r.cacheWriteTokens),
      formatUsd(r.costUsd),
    ];
    const lines = table(
      [groupBy.toUpperCase(), "REQUESTS", "ERRORS", "INPUT TOK", "OUTPUT TOK", "CACHE READ", "CACHE WRITE", "COST USD"],
      [...rows.map((r) => cells(r.label ?? "(none)", r)), cells("TOTAL", total)],
      [false, true, true, true, true, true, true, true],
    );
    for (const line of lines) ctx.io.out(line);
    return 0;
  });
}

function sumRows(rows: UsageSummaryRow[]): Omit<UsageSummaryRow, "group" | "label"> {
  const total = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
  for (const r of rows) {
    total.requests += r.requests;
    total.errors += r.errors;
    total.inputTokens += r.inputTokens;
    total.outputTokens += r.outputTokens;
    total.cacheReadTokens += r.cacheReadTokens;
    total.cacheWriteTokens += r.cacheWriteTokens;
    total.costUsd += r.costUsd;
  }
  total.costUsd = Math.round(total.costUsd * 1e8) / 1e8;
  return total;
}
