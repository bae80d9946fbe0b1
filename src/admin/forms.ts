// The key form's fields (a browser form or a JSON body) as the db functions' inputs, with one message per bad field
// naming it. An empty field means "none" (no limit, no expiry, every model), as `none` does for the CLI's flags. Pure.
import type { KeyUpdate, NewKeyInput } from "../db/keys";
import { parseMicros } from "../usage/cost";
import { parseIsoInstant } from "../report/query";

export type FieldError = { field: string; message: string };
export type Parsed<T> = { ok: true; value: T } | ({ ok: false } & FieldError);

/** The key's policy and expiry fields, as the form names them. */
export const POLICY_FORM_FIELDS = ["models", "rpm", "tpm", "budget_daily_usd", "budget_monthly_usd", "expires"] as const;

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const MODEL = /^[A-Za-z0-9._:/@*-]{1,256}$/;
const DURATION = /^(\d{1,9})(h|d)$/;
const INT32_MAX = 2_147_483_647;

type Fields = Record<string, unknown>;
const text = (v: unknown) => (v == null ? undefined : typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : undefined);

function fail(field: string, message: string): { ok: false } & FieldError {
  return { ok: false, field, message };
}

/** A limit: a whole number of requests or tokens per minute. */
function limit(v: string, field: string): number | FieldError {
  const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > INT32_MAX) return { field, message: `${field} must be a whole number from 1 to ${INT32_MAX}` };
  return n;
}

function usd(v: string, field: string): number | FieldError {
  const m = parseMicros(v.replace(/^\$/, ""));
  if (m === null || !Number.isSafeInteger(m)) return { field, message: `${field} must be an amount in USD with at most six decimals, such as 5 or 12.50` };
  return m;
}

function models(v: string): string[] | FieldError {
  const list = [...new Set(v.split(/[\s,]+/).filter(Boolean))];
  const bad = list.find((m) => !MODEL.test(m));
  if (bad !== undefined) return { field: "models", message: `models must be model names, aliases or wildcards such as claude-* (not "${bad}")` };
  return list;
}

/** An expiry: an ISO date or time, or a duration from now (`90d`, `12h`); it must be in the future. */
function expires(v: string, now: number): Date | FieldError {
  const m = DURATION.exec(v.toLowerCase());
  const at = m ? new Date(now + Number(m[1]) * (m[2] === "h" ? 3_600_000 : 86_400_000)) : parseIsoInstant(v);
  if (!at) return { field: "expires", message: "expires must be a date (2027-01-31), a time, or a duration such as 90d" };
  if (at.getTime() <= now) return { field: "expires", message: "expires must be in the future" };
  return at;
}

const isError = (v: unknown): v is FieldError => typeof v === "object" && v !== null && "message" in v && "field" in v;

/** Each policy field that is present: a value, or null for an empty one (clear it). Absent fields are left out. */
function policyPatch(f: Fields, now: number): Parsed<KeyUpdate> {
  const out: KeyUpdate = {};
  const parsers: Record<(typeof POLICY_FORM_FIELDS)[number], (v: string) => unknown> = {
    models,
    rpm: (v) => limit(v, "rpm"),
    tpm: (v) => limit(v, "tpm"),
    budget_daily_usd: (v) => usd(v, "budget_daily_usd"),
    budget_monthly_usd: (v) => usd(v, "budget_monthly_usd"),
    expires: (v) => expires(v, now),
  };
  const target: Record<(typeof POLICY_FORM_FIELDS)[number], keyof KeyUpdate> = {
    models: "allowedModels",
    rpm: "rpmLimit",
    tpm: "tpmLimit",
    budget_daily_usd: "budgetDailyMicros",
    budget_monthly_usd: "budgetMonthlyMicros",
    expires: "expiresAt",
  };
  for (const field of POLICY_FORM_FIELDS) {
    const v = text(f[field]);
    if (v === undefined) continue;
    if (v === "" || v.toLowerCase() === "none") {
      (out as Record<string, unknown>)[target[field]] = null;
      continue;
    }
    const parsed = parsers[field](v);
    if (isError(parsed)) return fail(parsed.field, parsed.message);
    // An empty model list would admit nothing; "every model" is the empty field.
    (out as Record<string, unknown>)[target[field]] = Array.isArray(parsed) && parsed.length === 0 ? null : parsed;
  }
  return { ok: true, value: out };
}

/** A new key: the owner's email is required; team, name and every policy field are optional. */
export function parseNewKey(f: Fields, now: number, actor: string): Parsed<NewKeyInput> {
  const user = text(f.user)?.toLowerCase() ?? "";
  if (!EMAIL.test(user) || user.length > 320) return fail("user", "user must be the owner's email address");
  const team = text(f.team) || null;
  const name = text(f.name) || null;
  for (const [field, v] of [
    ["team", team],
    ["name", name],
  ] as const) {
    if (v !== null && (v.length > 200 || /\p{Cc}/u.test(v))) return fail(field, `${field} must be at most 200 printable characters`);
  }
  const patch = policyPatch(f, now);
  if (!patch.ok) return patch;
  const { expiresAt, ...policy } = patch.value;
  const input: NewKeyInput = { user, team, name, expiresAt: expiresAt ?? null, actor };
  for (const [k, v] of Object.entries(policy)) if (v !== null && v !== undefined) (input as Record<string, unknown>)[k] = v;
  return { ok: true, value: input };
}

/** A key's policy change: only the fields present change; an empty one is cleared. */
export function parseKeyUpdate(f: Fields, now: number): Parsed<KeyUpdate> {
  return policyPatch(f, now);
}

/** How long a rotated key keeps working: `0` (at once), a duration such as `24h` or `7d`; default 24 hours. */
export function parseGrace(v: unknown, now: number): Parsed<Date> {
  const s = text(v) ?? "";
  if (s === "") return { ok: true, value: new Date(now + 86_400_000) };
  if (s === "0") return { ok: true, value: new Date(now) };
  const m = DURATION.exec(s.toLowerCase());
  if (!m) return fail("grace", "grace must be 0 or a duration such as 24h or 7d");
  return { ok: true, value: new Date(now + Number(m[1]) * (m[2] === "h" ? 3_600_000 : 86_400_000)) };
}
