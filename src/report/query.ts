// The usage report's query words (since, until, by, user, team) as the console and GET /admin/usage read them, with
// the meaning `bedrock-gateway usage report` gives its flags: a duration (30s, 90m, 12h, 30d) counts back from now,
// an ISO date or time without an offset is UTC, `until` is exclusive. Pure.
import { REPORT_DIMENSIONS, type ReportDimension, type ReportQuery } from "../db/report";

export type QueryWords = { since?: string; until?: string; by?: string; user?: string; team?: string };
export type ParsedQuery = { ok: true; query: ReportQuery } | { ok: false; param: string; message: string };

/** The window when `since` is not given, as in the CLI. */
export const DEFAULT_SINCE = "30d";

const DURATION = /^(\d{1,9})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
// Deliberately simple, as the CLI's: one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Milliseconds of a duration such as `30s`, `90m`, `12h`, `30d`; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim().toLowerCase());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}

/** An ISO date or time (UTC without an offset); null for text that is not one or a day that does not exist. */
export function parseIsoInstant(text: string): Date | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, , offset] = m;
  let iso = text.trim().replace(" ", "T");
  // JavaScript reads a date-time without an offset as local time; the report's times are UTC.
  if (h !== undefined && offset === undefined) iso += "Z";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return null;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return null;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59)) return null;
  return at;
}

/** A `since`/`until` word: a duration back from `now`, or an ISO date or time. */
export function parseReportInstant(text: string, now: number): Date | null {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now - ms);
  return parseIsoInstant(text);
}

const HINT = "an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d)";

export function parseReportQuery(words: QueryWords, now: number): ParsedQuery {
  const since = parseReportInstant(words.since ?? DEFAULT_SINCE, now);
  if (!since) return { ok: false, param: "since", message: `since must be ${HINT} (got "${words.since}")` };
  const until = words.until === undefined ? new Date(now) : parseReportInstant(words.until, now);
  if (!until) return { ok: false, param: "until", message: `until must be ${HINT} (got "${words.until}")` };
  if (until.getTime() <= since.getTime()) {
    return { ok: false, param: "until", message: `until (${until.toISOString()}) must be after since (${since.toISOString()})` };
  }
  const by = (words.by ?? "user").split(",").map((w) => w.trim().toLowerCase());
  const bad = by.find((w) => !(REPORT_DIMENSIONS as readonly string[]).includes(w));
  if (bad !== undefined) return { ok: false, param: "by", message: `by takes one or two of ${REPORT_DIMENSIONS.join(", ")}, comma-separated (got "${bad}")` };
  if (by.length > 2) return { ok: false, param: "by", message: `by takes at most two words, such as team,user (got "${words.by}")` };
  if (by.length === 2 && by[0] === by[1]) return { ok: false, param: "by", message: `by names ${by[0]} twice` };
  const query: ReportQuery = { by: by as ReportDimension[], since, until };
  if (words.user !== undefined && words.user.trim() !== "") {
    const email = words.user.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 320) return { ok: false, param: "user", message: `user must be an email address (got "${words.user}")` };
    query.user = email;
  }
  if (words.team !== undefined && words.team.trim() !== "") {
    const team = words.team.trim();
    if (team.length > 200 || /\p{Cc}/u.test(team)) return { ok: false, param: "team", message: "team must be a name of at most 200 printable characters" };
    query.team = team;
  }
  return { ok: true, query };
}
