// Parsing and printing helpers for the CLI: pure functions, no I/O.

const DURATION = /^(\d+)\s*(m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `7d`, `12h`, `30m`, `2w` before `now`, or an ISO date/time. */
export function parseSince(value: string, now: number, flag = "--since"): Date {
  const m = DURATION.exec(value.trim());
  if (m) return new Date(now - Number(m[1]) * UNIT_MS[m[2].toLowerCase()]);
  return parseIsoDate(value, flag);
}

/** `90d` after `now` or an ISO date/time; must be in the future. */
export function parseExpires(value: string, now: number): Date {
  const m = DURATION.exec(value.trim());
  const at = m ? new Date(now + Number(m[1]) * UNIT_MS[m[2].toLowerCase()]) : parseIsoDate(value, "--expires");
  if (at.getTime() <= now) throw new UsageError(`--expires must be in the future (got ${at.toISOString()})`);
  return at;
}

function parseIsoDate(value: string, flag: string): Date {
  const v = value.trim();
  const d = /^\d{4}-\d{2}-\d{2}/.test(v) ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    throw new UsageError(`${flag} must be an ISO date such as 2025-01-31 (or 2025-01-31T12:00:00Z) or a duration such as 7d`);
  }
  return d;
}

// Deliberately simple: one @, no spaces, a dot in the domain. The address is a label, not a mailbox we write to.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function parseEmail(value: string | undefined, flag = "--user"): string {
  if (value === undefined || value.trim() === "") throw new UsageError(`${flag} EMAIL is required`);
  const email = value.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) throw new UsageError(`${flag} must be an email address (got "${value}")`);
  return email;
}

export function optionalText(value: string | undefined, flag: string, max = 200): string | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (v === "") return null;
  if (v.length > max) throw new UsageError(`${flag} is longer than ${max} characters`);
  return v;
}

export function formatDate(d: Date | null | undefined): string {
  if (!d) return "-";
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace("T", " ");
}

export function formatUsd(n: number): string {
  return n === 0 ? "0.00" : n < 0.01 ? n.toFixed(6) : n.toFixed(2);
}

export function formatInt(n: number): string {
  return n.toLocaleString("en-US");
}

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
