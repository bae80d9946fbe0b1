// Flag values: dates, durations, money, limits, names. Pure; every error is a one-line UsageError (exit code 2)
// that names the flag and the value it got.
import { parseMicros } from "../usage/cost";
import { parseDuration, parseIsoInstant as parseIsoDate } from "../report/query";
import { UsageError } from "./format";

const DATE_HINT = "an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d)";

// The same parsing as the report's query words (the console, GET /admin/usage), so the CLI and they agree.
export { parseDuration, parseIsoInstant as parseIsoDate } from "../report/query";

function instant(value: string, flag: string, now: number, direction: 1 | -1): Date {
  const ms = parseDuration(value);
  if (ms !== null) return new Date(now + direction * ms);
  const at = parseIsoDate(value);
  if (!at) throw new UsageError(`${flag} must be ${DATE_HINT} (got "${value}")`);
  return at;
}

/** `--since` / `--until`: an ISO date or time, or a duration back from now. */
export function parseSince(value: string, now: number, flag = "--since"): Date {
  return instant(value, flag, now, -1);
}

/** `--expires`: an ISO date or time, or a duration from now; must be in the future. */
export function parseExpires(value: string, now: number): Date {
  const at = instant(value, "--expires", now, 1);
  if (at.getTime() <= now) throw new UsageError(`--expires must be in the future (got "${value}", ${at.toISOString()})`);
  return at;
}

/** `--grace`: how long a rotated key keeps working, as a duration from now or an ISO date or time; `0` = at once. */
export function parseGrace(value: string, now: number): Date {
  if (value.trim() === "0") return new Date(now);
  const at = instant(value, "--grace", now, 1);
  if (at.getTime() < now) throw new UsageError(`--grace must not be in the past (got "${value}", ${at.toISOString()})`);
  return at;
}

/** A policy flag given as `none` or empty clears the limit at that level. */
export const isNone = (value: string) => value.trim() === "" || value.trim().toLowerCase() === "none";

/** Decimal USD (`5`, `12.50`, `0.000001`) as integer micro-dollars; at most six decimals, never negative. */
export function parseUsd(value: string, flag: string): number {
  const micros = parseMicros(value);
  if (micros === null || !Number.isSafeInteger(micros)) {
    throw new UsageError(`${flag} must be an amount in USD with at most six decimals, such as 5 or 12.50 (got "${value}")`);
  }
  return micros;
}

const INT32_MAX = 2_147_483_647;

/** A positive whole number (requests or tokens per minute). */
export function parseLimit(value: string, flag: string): number {
  const v = value.trim();
  const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > INT32_MAX) throw new UsageError(`${flag} must be a whole number from 1 to ${INT32_MAX} (got "${value}")`);
  return n;
}

// Model ids, aliases, inference profile ids and ARNs: letters, digits and . _ : / - @, with * as a wildcard.
const MODEL_PATTERN = /^[A-Za-z0-9._:/@*-]{1,256}$/;

/** A comma-separated list of model ids, aliases or wildcards (`claude-*,nova-pro`), without duplicates. */
export function parseModelList(value: string, flag = "--models"): string[] {
  const items = value.split(",").map((s) => s.trim());
  const bad = items.find((s) => !MODEL_PATTERN.test(s));
  if (bad !== undefined) {
    throw new UsageError(`${flag} must be a comma-separated list of model ids, aliases or wildcards such as claude-* (got "${bad === "" ? value : bad}")`);
  }
  return [...new Set(items)];
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
  if (/\p{Cc}/u.test(v)) throw new UsageError(`${flag} must not contain control characters`);
  return v;
}

/** A required name (a team): trimmed, non-empty, printable. */
export function requiredText(value: string | undefined, what: string, max = 200): string {
  const v = optionalText(value, what, max);
  if (v === null) throw new UsageError(`${what} is required`);
  return v;
}
