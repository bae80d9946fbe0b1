/**
 * Rate limits and budgets, pure: which counters a request is checked against, the periods it falls in, the
 * OpenAI rate-limit headers, and the error for a refusal. The counting itself is one SQL statement
 * (`bgw_admit`, see db/admit.ts) so that every gateway instance sharing the database shares the limits.
 */
import { GatewayError } from "../errors";
import { formatMicros } from "../usage/cost";

export type Policy = {
  allowedModels: string[] | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  budgetDailyMicros: number | null;
  budgetMonthlyMicros: number | null;
};

export type Level = "key" | "user" | "team";
export type PolicyLevels = Partial<Record<Level, { subject: string; policy: Policy | null }>>;

export type LimitCheck = { subject: string; rpm?: number; tpm?: number; daily?: number; monthly?: number };

export type Periods = { window: number; day: string; month: string; now: number };

// The last UTC day named: every admission of one day has the same day and month, formatted once.
let lastDay = Number.NaN;
let lastDayName = "";
let lastMonthName = "";

/** The minute window and UTC day and month of an instant ("d2026-12-02", "m2026-12"). */
export function periodsAt(now: number): Periods {
  const day = Math.floor(now / 86_400_000);
  if (day !== lastDay) {
    const iso = new Date(day * 86_400_000).toISOString();
    lastDayName = `d${iso.slice(0, 10)}`;
    lastMonthName = `m${iso.slice(0, 7)}`;
    lastDay = day;
  }
  return { window: Math.floor(now / 60_000), day: lastDayName, month: lastMonthName, now };
}

/** One check per level that has any limit, sorted by subject so concurrent admissions take row locks in one order. */
export function limitChecks(levels: PolicyLevels): LimitCheck[] {
  const checks: LimitCheck[] = [];
  for (const level of ["key", "user", "team"] as const) {
    const l = levels[level];
    const p = l?.policy;
    if (!l || !p) continue;
    const c: LimitCheck = { subject: l.subject };
    if (p.rpmLimit != null) c.rpm = p.rpmLimit;
    if (p.tpmLimit != null) c.tpm = p.tpmLimit;
    if (p.budgetDailyMicros != null) c.daily = p.budgetDailyMicros;
    if (p.budgetMonthlyMicros != null) c.monthly = p.budgetMonthlyMicros;
    if (Object.keys(c).length > 1) checks.push(c);
  }
  return checks.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
}

export const hasBudget = (checks: readonly LimitCheck[]) => checks.some((c) => c.daily !== undefined || c.monthly !== undefined);
export const hasRateLimit = (checks: readonly LimitCheck[]) => checks.some((c) => c.rpm !== undefined || c.tpm !== undefined);

export type AdmitResult =
  | { ok: true; rates: { subject: string; requests: number; tokens: number }[] }
  | { ok: false; subject: string; limit: "rpm" | "tpm" | "daily" | "monthly"; max: number; used: number };

/** Seconds until the end of the current minute window, day or month (UTC). */
export function secondsUntilReset(limit: "rpm" | "tpm" | "daily" | "monthly", now: number): number {
  const d = new Date(now);
  let end: number;
  if (limit === "rpm" || limit === "tpm") end = (Math.floor(now / 60_000) + 1) * 60_000;
  else if (limit === "daily") end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  else end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((end - now) / 1000));
}

/** OpenAI's duration spelling for `x-ratelimit-reset-*` ("1s", "6m0s", "1h2m3s"). */
export function formatResetDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * `x-ratelimit-*` headers as OpenAI sends them, for the tightest level: remaining counts this request.
 * Empty when no level has an rpm or tpm limit.
 */
export function rateLimitHeaders(checks: readonly LimitCheck[], rates: AdmitResult & { ok: true }, now: number): Record<string, string> {
  const used = new Map(rates.rates.map((r) => [r.subject, r]));
  let req: { limit: number; remaining: number } | null = null;
  let tok: { limit: number; remaining: number } | null = null;
  for (const c of checks) {
    const u = used.get(c.subject);
    if (!u) continue;
    if (c.rpm !== undefined) {
      const remaining = Math.max(0, c.rpm - u.requests);
      if (!req || remaining < req.remaining) req = { limit: c.rpm, remaining };
    }
    if (c.tpm !== undefined) {
      const remaining = Math.max(0, c.tpm - u.tokens);
      if (!tok || remaining < tok.remaining) tok = { limit: c.tpm, remaining };
    }
  }
  const reset = formatResetDuration(secondsUntilReset("rpm", now));
  const h: Record<string, string> = {};
  if (req) {
    h["x-ratelimit-limit-requests"] = String(req.limit);
    h["x-ratelimit-remaining-requests"] = String(req.remaining);
    h["x-ratelimit-reset-requests"] = reset;
  }
  if (tok) {
    h["x-ratelimit-limit-tokens"] = String(tok.limit);
    h["x-ratelimit-remaining-tokens"] = String(tok.remaining);
    h["x-ratelimit-reset-tokens"] = reset;
  }
  return h;
}

const LEVEL_NAMES: Record<string, string> = { key: "API key", user: "user", team: "team" };

function describeSubject(subject: string): string {
  const i = subject.indexOf(":");
  const level = subject.slice(0, i);
  const name = subject.slice(i + 1);
  return level === "key" ? "this API key" : `${LEVEL_NAMES[level] ?? level} ${name}`;
}

/** The 429 for a refused admission: OpenAI's `rate_limit_exceeded` for rpm/tpm, `insufficient_quota` for budgets. */
export function refusalError(r: AdmitResult & { ok: false }, now: number, requestTokens: number): GatewayError {
  const retryAfter = secondsUntilReset(r.limit, now);
  const who = describeSubject(r.subject);
  if (r.limit === "rpm" || r.limit === "tpm") {
    const unit = r.limit === "rpm" ? "requests" : "tokens";
    const tooBig = r.limit === "tpm" && requestTokens > r.max;
    const message = tooBig
      ? `Request too large: it may use ${requestTokens} tokens (input estimate plus max output tokens), more than the ${r.max} tokens per minute allowed for ${who}. Lower max_tokens or the input.`
      : `Rate limit reached for ${who}: ${r.max} ${unit} per minute (used ${r.used}). Try again in ${retryAfter}s.`;
    // openai-node honours `x-should-retry`: a request that can never fit is not worth its automatic retries.
    const headers: Record<string, string> | undefined = tooBig ? { "x-should-retry": "false" } : undefined;
    return new GatewayError({
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      message,
      retryAfter: tooBig ? undefined : retryAfter,
      headers,
    });
  }
  const period = r.limit === "daily" ? "daily" : "monthly";
  const resetsAt = new Date(now + retryAfter * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return new GatewayError({
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: `The ${period} budget of ${who} (USD ${formatMicros(r.max)}) does not cover this request: USD ${formatMicros(r.used)} is spent or reserved. It resets at ${resetsAt} (UTC).`,
    retryAfter,
    headers: { "x-should-retry": "false" },
  });
}
