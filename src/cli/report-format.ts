// The usage report's three forms (table, CSV, JSON) and its `--by` words. Pure. The JSON and CSV shapes live in
// src/report/format.ts, shared with the admin console and GET /admin/usage.
import { REPORT_DIMENSIONS, type ReportDimension, type ReportRow, reportTotals } from "../db/report";
import { TOTAL_MEMBERS, reportColumns, reportJson, totalsJson } from "../report/format";
import { closestName } from "./args";
import { UsageError, formatInt, table } from "./format";

export { reportColumns, reportCsv, reportJson } from "../report/format";

/** `user`, `team,user`, `user,model` …: one or two different words. */
export function parseBy(value: string): ReportDimension[] {
  const words = value.split(",").map((w) => w.trim().toLowerCase());
  for (const w of words) {
    if (!(REPORT_DIMENSIONS as readonly string[]).includes(w)) {
      const near = closestName(w, REPORT_DIMENSIONS);
      throw new UsageError(`--by takes one or two of ${REPORT_DIMENSIONS.join(", ")}, comma-separated (got "${w}"${near ? `; did you mean ${near}?` : ""})`);
    }
  }
  if (words.length > 2) throw new UsageError(`--by takes at most two words, such as team,user (got "${value}")`);
  if (words.length === 2 && words[0] === words[1]) throw new UsageError(`--by names ${words[0]} twice`);
  return words as ReportDimension[];
}

const HEADERS: Record<string, string> = {
  user: "USER",
  team: "TEAM",
  key: "KEY",
  key_name: "NAME",
  key_user: "OWNER",
  model: "MODEL",
  day: "DAY (UTC)",
  requests: "REQUESTS",
  errors: "ERRORS",
  input_tokens: "INPUT",
  output_tokens: "OUTPUT",
  cache_read_tokens: "CACHE READ",
  cache_write_tokens: "CACHE WRITE",
  cost_usd: "COST USD",
};

/** An aligned table with a TOTAL line: the sum of the rows above it, to the micro-dollar. */
export function reportTable(rows: readonly ReportRow[], by: readonly ReportDimension[]): string[] {
  const columns = reportColumns(by);
  const groupCount = columns.length - TOTAL_MEMBERS.length;
  const text = (o: Record<string, unknown>, c: string) => {
    const v = o[c];
    if (v == null) return c === "team" ? "(no team)" : "-";
    return typeof v === "number" ? formatInt(v) : String(v);
  };
  const body = reportJson(rows, by).map((o) => columns.map((c) => text(o, c)));
  const total = totalsJson(reportTotals(rows)) as Record<string, unknown>;
  const totalLine = columns.map((c, i) => (i === 0 ? "TOTAL" : i < groupCount ? "" : text(total, c)));
  const right = columns.map((_, i) => i >= groupCount);
  return table(
    columns.map((c) => HEADERS[c] ?? c.toUpperCase()),
    [...body, totalLine],
    right,
  );
}
