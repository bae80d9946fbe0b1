/**
 * Admission leases, the pure part. When one caller sends many requests to one instance, its admission asks the
 * database for room for several (bgw_admit's `want`): what the first request does not use stays here as a lease,
 * and the caller's next requests are admitted from it in memory, with no round trip. Everything a lease holds was
 * counted and reserved in the database when it was taken, so a limit or budget is never passed, whatever the
 * number of instances; what a lease has not used when it ends (idle, a new minute, day or month, a changed limit,
 * shutdown) is given back. At low rates nothing is leased and every admission is exact in the database.
 */
import type { AdmitResult, LimitCheck, Periods } from "./limits";

type Rates = (AdmitResult & { ok: true })["rates"];

export type Lease = {
  /** Names its release, so a release retried after a lost answer is applied once. */
  id: string;
  window: number;
  day: string;
  month: string;
  /** The checks it was taken under, as JSON: a limit an admin changed ends it. */
  checks: string;
  /** Unused room: requests, tokens (rate windows) and micro-dollars (budgets). */
  requests: number;
  tokens: number;
  cost: number;
  /** Whether its checks have rate limits and budgets (what it counted, hence what to give back). */
  rated: boolean;
  budgeted: boolean;
  /** The counts the last request admitted from it saw, for its `x-ratelimit-*` headers. */
  rates: Rates;
  usedAt: number;
};

/** What an ended lease gives back (bgw_release's payload): its unused totals under the checks it was taken with. */
export function releasePayload(lease: Lease): string {
  const rated = lease.rated && lease.requests + lease.tokens > 0;
  return `{"id":${JSON.stringify(lease.id)},"window":${lease.window},"day":${JSON.stringify(lease.day)},"month":${JSON.stringify(lease.month)},"requests":${rated ? lease.requests : 0},"tokens":${rated ? lease.tokens : 0},"cost":${lease.budgeted ? lease.cost : 0},"checks":${lease.checks}}`;
}

/** True when the lease still holds anything to give back. */
export const leaseHoldsRoom = (lease: Lease) => lease.requests > 0 || lease.tokens > 0 || lease.cost > 0;

/** A lease is for the minute, day and month it was taken in, under the same limits. */
export function leaseMatches(lease: Lease, periods: Pick<Periods, "window" | "day" | "month">, checks: string): boolean {
  return lease.window === periods.window && lease.day === periods.day && lease.month === periods.month && lease.checks === checks;
}

/**
 * Admits one request from the lease when it has room for it (one request, `tokens`, `cost`), taking that room;
 * null when it has not (the request then goes to the database).
 */
export function takeFromLease(lease: Lease, tokens: number, cost: number, now: number): AdmitResult | null {
  if (lease.requests < 1 || (lease.rated && lease.tokens < tokens) || (lease.budgeted && lease.cost < cost)) return null;
  lease.requests -= 1;
  if (lease.rated) lease.tokens -= tokens;
  if (lease.budgeted) lease.cost -= cost;
  lease.rates = lease.rates.map((r) => ({ subject: r.subject, requests: r.requests + 1, tokens: r.tokens + tokens }));
  lease.usedAt = now;
  return { ok: true, rates: lease.rates };
}

/**
 * The lease left by an admission the database granted `granted` requests of `tokens` and `cost` each (the first
 * for the request itself), or null when it granted only that one.
 */
export function leaseFrom(
  id: string,
  periods: Periods,
  checks: readonly LimitCheck[],
  checksJson: string,
  tokens: number,
  cost: number,
  granted: number,
  rates: Rates,
  now: number,
): Lease | null {
  const extra = granted - 1;
  if (!(extra >= 1)) return null;
  const rated = checks.some((c) => c.rpm !== undefined || c.tpm !== undefined);
  const budgeted = checks.some((c) => c.daily !== undefined || c.monthly !== undefined);
  return {
    id,
    window: periods.window,
    day: periods.day,
    month: periods.month,
    checks: checksJson,
    requests: extra,
    tokens: rated ? extra * tokens : 0,
    cost: budgeted ? extra * cost : 0,
    rated,
    budgeted,
    rates,
    usedAt: now,
  };
}

/**
 * How many requests past its own an admission asks for: the caller's recent rate over the next `horizonMs`, at most
 * `max`. `recent` is the caller's admissions in the last full second and the current one.
 */
export function extraToAsk(recent: { previous: number; current: number }, max: number, horizonMs = 50): number {
  if (max <= 0) return 0;
  const perSecond = Math.max(recent.previous, recent.current);
  return Math.min(max, Math.floor((perSecond * horizonMs) / 1000));
}

/** Counts admissions per second, for extraToAsk. */
export type Demand = { second: number; previous: number; current: number };

export function noteDemand(d: Demand, now: number): void {
  const second = Math.floor(now / 1000);
  if (second !== d.second) {
    d.previous = second === d.second + 1 ? d.current : 0;
    d.current = 0;
    d.second = second;
  }
  d.current++;
}
