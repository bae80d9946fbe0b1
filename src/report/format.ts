// The usage report as data: its JSON members and its CSV, the same for `bedrock-gateway usage report` and the
// admin console (one shape, so a number read in the browser equals the one printed at the terminal). Pure.
import type { ReportDimension, ReportRow, ReportTotals } from "../db/report";
import { formatMicros } from "../usage/cost";

export const TOTAL_MEMBERS = ["requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"] as const;

/** JSON member names in order: the group words (`key` brings `key_name` and `key_user`), then the sums. */
export function reportColumns(by: readonly ReportDimension[]): string[] {
  return [...by.flatMap((d) => (d === "key" ? ["key", "key_name", "key_user"] : [d])), ...TOTAL_MEMBERS];
}

export function totalsJson(t: ReportTotals) {
  return {
    requests: t.requests,
    errors: t.errors,
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    cache_read_tokens: t.cacheReadTokens,
    cache_write_tokens: t.cacheWriteTokens,
    cost_usd: formatMicros(t.costMicros),
  };
}

export function reportJson(rows: readonly ReportRow[], by: readonly ReportDimension[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const d of by) {
      o[d] = r.groups[d] ?? null;
      if (d === "key") {
        o.key_name = r.keyName ?? null;
        o.key_user = r.keyUser ?? null;
      }
    }
    return { ...o, ...totalsJson(r) };
  });
}

/** RFC 4180 CSV: a header row, then one row per object; null is an empty field. */
export function csv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string[] {
  const field = (v: unknown) => {
    if (v == null) return "";
    const s = String(v);
    return /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(field).join(","), ...rows.map((r) => columns.map((c) => field(r[c])).join(","))];
}

export function reportCsv(rows: readonly ReportRow[], by: readonly ReportDimension[]): string[] {
  return csv(reportColumns(by), reportJson(rows, by));
}
