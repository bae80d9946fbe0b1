// What the console shows, read through the same functions as the CLI (usageReport, listKeys, listPolicies,
// listModelRows), so the numbers in the browser and at the terminal have one source. The pages and the JSON API
// both render these.
import type { Db } from "../db/client";
import { type KeyListing, keyStatus, listKeys } from "../db/keys";
import { listModelRows } from "../db/models";
import { type PolicyListing, listPolicies } from "../db/policies";
import { type ReportDimension, type ReportRow, reportTotals, usageReport } from "../db/report";
import type { Clock } from "../deps";
import { formatMicros } from "../usage/cost";
import { type BudgetUse, budgetUse, worstState } from "./budgets";
import { type DailySeries, dailySeries } from "./chart";
import { type Period, daysOf } from "./periods";

export const TABLE_DIMENSIONS = ["user", "team", "key", "model"] as const satisfies readonly ReportDimension[];
export const STACKS = ["none", "team", "user", "model"] as const;
export type Stack = (typeof STACKS)[number];

export type SpendQuery = { period: Period; by: (typeof TABLE_DIMENSIONS)[number]; stack: Stack; user?: string; team?: string };
export type SpendView = { rows: ReportRow[]; totals: ReturnType<typeof reportTotals>; series: DailySeries };

export async function spendView(db: Db, q: SpendQuery): Promise<SpendView> {
  const window = { since: q.period.since, until: q.period.until, user: q.user, team: q.team };
  const [rows, perDay] = await Promise.all([
    usageReport(db, { ...window, by: [q.by] }),
    usageReport(db, { ...window, by: q.stack === "none" ? ["day"] : ["day", q.stack] }),
  ]);
  return { rows, totals: reportTotals(rows), series: dailySeries(perDay, daysOf(q.period), q.stack === "none" ? null : q.stack) };
}

export type MonthSummary = {
  month: string;
  costMicros: number;
  requests: number;
  errors: number;
  topUser: { name: string; costMicros: number } | null;
  topModel: { name: string; costMicros: number } | null;
  topTeam: { name: string | null; costMicros: number } | null;
};

/** This UTC month so far: spend, requests, and who and what spent the most. */
export async function monthSummary(db: Db, now: number): Promise<MonthSummary> {
  const d = new Date(now);
  const since = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  const until = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  const [byUser, byModel, byTeam] = await Promise.all((["user", "model", "team"] as const).map((dim) => usageReport(db, { by: [dim], since, until })));
  const t = reportTotals(byUser);
  const top = <T extends string | null>(rows: ReportRow[], dim: ReportDimension) =>
    rows[0] && rows[0].costMicros > 0 ? { name: rows[0].groups[dim] as T, costMicros: rows[0].costMicros } : null;
  return {
    month: since.toISOString().slice(0, 7),
    costMicros: t.costMicros,
    requests: t.requests,
    errors: t.errors,
    topUser: top<string>(byUser, "user"),
    topModel: top<string>(byModel, "model"),
    topTeam: top<string | null>(byTeam, "team"),
  };
}

export type BudgetEntry = {
  level: "key" | "team" | "user";
  id: string;
  label: string;
  detail: string | null;
  daily: BudgetUse;
  monthly: BudgetUse;
  rpm: number | null;
  tpm: number | null;
  state: BudgetUse["state"];
};

const ATTENTION = { over: 0, near: 1, ok: 2, none: 3 } as const;

/** Active keys, teams and users with a budget, a limit or spend this month, those over or near a budget first. */
export async function budgetsView(db: Db, clock: Clock, filter: { team?: string } = {}): Promise<BudgetEntry[]> {
  const now = clock.now();
  const [keys, allTeams, allUsers] = await Promise.all([listKeys(db, filter, clock), listPolicies(db, "team", clock), listPolicies(db, "user", clock)]);
  // Users belong to no team: with a team chosen, the team and its keys are shown.
  const teams = filter.team === undefined ? allTeams : allTeams.filter((t) => t.name === filter.team);
  const users = filter.team === undefined ? allUsers : [];
  const entry = (level: BudgetEntry["level"], id: string, label: string, detail: string | null, r: KeyListing | PolicyListing): BudgetEntry => {
    const daily = budgetUse(r.budgetDailyMicros, r.spentTodayMicros, "daily", now);
    const monthly = budgetUse(r.budgetMonthlyMicros, r.spentMonthMicros, "monthly", now);
    return { level, id, label, detail, daily, monthly, rpm: r.rpmLimit, tpm: r.tpmLimit, state: worstState(daily.state, monthly.state) };
  };
  const hasLimits = (r: KeyListing | PolicyListing) =>
    r.budgetDailyMicros !== null || r.budgetMonthlyMicros !== null || r.rpmLimit !== null || r.tpmLimit !== null || r.spentMonthMicros > 0;
  const out = [
    ...keys
      .filter((k) => (keyStatus(k, now) === "active" || keyStatus(k, now) === "rotated") && hasLimits(k))
      .map((k) => entry("key", k.id, k.prefix, [k.name, k.user, k.team].filter(Boolean).join(" · "), k)),
    ...teams.filter(hasLimits).map((t) => entry("team", t.name, t.name, null, t)),
    ...users.filter(hasLimits).map((u) => entry("user", u.name, u.name, null, u)),
  ];
  const levelRank = { team: 0, user: 1, key: 2 } as const;
  return out.sort((a, b) => ATTENTION[a.state] - ATTENTION[b.state] || levelRank[a.level] - levelRank[b.level] || (a.label < b.label ? -1 : 1));
}

export async function keysView(db: Db, clock: Clock, filter: { user?: string; team?: string } = {}) {
  return listKeys(db, filter, clock);
}

export const modelsView = (db: Db) => listModelRows(db);

const usd = (m: number | null | undefined) => (m == null ? null : formatMicros(m));
const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export function keyJson(k: KeyListing, now: number) {
  return {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    user: k.user,
    team: k.team,
    status: keyStatus(k, now),
    models: k.allowedModels,
    rpm: k.rpmLimit,
    tpm: k.tpmLimit,
    budget_daily_usd: usd(k.budgetDailyMicros),
    budget_monthly_usd: usd(k.budgetMonthlyMicros),
    spent_today_usd: usd(k.spentTodayMicros),
    spent_month_usd: usd(k.spentMonthMicros),
    created_at: iso(k.createdAt),
    last_used_at: iso(k.lastUsedAt),
    expires_at: iso(k.expiresAt),
    revoked_at: iso(k.revokedAt),
    replaced_by: k.replacedBy,
  };
}

function useJson(u: BudgetUse) {
  return { budget_usd: usd(u.budgetMicros), spent_usd: usd(u.spentMicros), percent: u.percent, state: u.state, resets_at: u.resetsAt.toISOString() };
}

export function budgetJson(e: BudgetEntry) {
  return {
    level: e.level,
    id: e.id,
    name: e.label,
    detail: e.detail,
    state: e.state,
    daily: useJson(e.daily),
    monthly: useJson(e.monthly),
    rpm: e.rpm,
    tpm: e.tpm,
  };
}
