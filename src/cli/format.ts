// Printing helpers for the CLI: pure functions, no I/O.
import { formatMicros } from "../usage/cost";

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function formatDate(d: Date | null | undefined): string {
  if (!d) return "-";
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace("T", " ");
}

export const isoOrNull = (d: Date | null | undefined) => d?.toISOString() ?? null;

export function formatInt(n: number): string {
  return n.toLocaleString("en-US");
}

/** Micro-dollars as six-decimal USD, or null (JSON) for "no value". */
export const usdOrNull = (micros: number | null | undefined) => (micros == null ? null : formatMicros(micros));

/** `spent/budget` for a table cell: `1.250000/5.000000`, or the spend alone when there is no budget. */
export function spentOf(spent: number, budget: number | null): string {
  return budget == null ? formatMicros(spent) : `${formatMicros(spent)}/${formatMicros(budget)}`;
}

/** A table cell: `-` for nothing. */
export const cell = (v: string | number | null | undefined) => (v == null || v === "" ? "-" : String(v));

/** Left-aligned text columns, right-aligned where `right[i]` is set. */
export function table(headers: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A URL fit to print: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
