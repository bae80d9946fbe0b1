import type { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ledgerFor } from "../db/ledger";
import type { Deps } from "../deps";
import type { Level, Policy } from "../policy/limits";
import { periodsAt } from "../policy/limits";
import { formatMicros } from "../usage/cost";

const usd = (micros: number | null | undefined) => (micros == null ? null : formatMicros(micros));

/**
 * `GET /v1/usage`: the caller's own spend today and this month (UTC), its limits, and what remains of each budget
 * (budget − spent − reserved by requests in flight), for its key, its user and its team. Reads the same ledger
 * that admission checks, so what it says remains is what the next request can reserve.
 */
export function registerUsage(app: Hono<AppEnv>, deps: Deps): void {
  app.get("/v1/usage", async (c) => {
    const identity = c.get("identity");
    const periods = periodsAt(deps.clock.now());
    const levels = (["key", "user", "team"] as const).filter((l) => identity.levels[l]);
    const subjects = levels.map((l) => identity.levels[l]!.subject);
    const ledger = await ledgerFor(c.get("scope").db, subjects, [periods.day, periods.month]);
    const describe = (level: Level) => {
      const { subject, policy } = identity.levels[level]!;
      const day = ledger.get(`${subject}|${periods.day}`) ?? { spentMicros: 0, reservedMicros: 0 };
      const month = ledger.get(`${subject}|${periods.month}`) ?? { spentMicros: 0, reservedMicros: 0 };
      const p: Policy | null = policy;
      const left = (budget: number | null | undefined, e: typeof day) => (budget == null ? null : Math.max(0, budget - e.spentMicros - e.reservedMicros));
      return {
        spend: { day_usd: usd(day.spentMicros), month_usd: usd(month.spentMicros), reserved_usd: usd(day.reservedMicros) },
        limits: {
          models: p?.allowedModels ?? null,
          rpm: p?.rpmLimit ?? null,
          tpm: p?.tpmLimit ?? null,
          budget_daily_usd: usd(p?.budgetDailyMicros),
          budget_monthly_usd: usd(p?.budgetMonthlyMicros),
        },
        remaining: { budget_daily_usd: usd(left(p?.budgetDailyMicros, day)), budget_monthly_usd: usd(left(p?.budgetMonthlyMicros, month)) },
      };
    };
    const key = identity.levels.key ? describe("key") : null;
    return c.json({
      object: "usage",
      day: periods.day.slice(1),
      month: periods.month.slice(1),
      auth: identity.auth,
      key_prefix: identity.keyPrefix,
      user: identity.user,
      team: identity.team,
      // The caller's own (its key's; a JWT caller's user's) spend, limits and what remains, then each level's.
      ...(key ?? describe("user")),
      levels: Object.fromEntries(levels.map((l) => [l, describe(l)])),
    });
  });
}
