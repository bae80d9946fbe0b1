// How much of a budget is used, when it resets, and whether it needs attention. Pure: the spend comes from the
// ledger (db/keys listKeys, db/policies listPolicies), the time from the caller.
import { secondsUntilReset } from "../policy/limits";

/** From this share of a budget on (in percent), a key or team is "near" its budget. */
export const NEAR_BUDGET_PERCENT = 80;

export type BudgetState = "none" | "ok" | "near" | "over";

export type BudgetUse = {
  budgetMicros: number | null;
  spentMicros: number;
  /** Used share in whole percent, rounded down (so 99.9 % is not shown as 100 %); null without a budget. */
  percent: number | null;
  state: BudgetState;
  resetsAt: Date;
};

export function budgetUse(budgetMicros: number | null, spentMicros: number, period: "daily" | "monthly", now: number): BudgetUse {
  const resetsAt = new Date(now + secondsUntilReset(period, now) * 1000);
  // Whole seconds can land a little past midnight; the reset is the boundary itself.
  resetsAt.setUTCMilliseconds(0);
  if (budgetMicros === null) return { budgetMicros, spentMicros, percent: null, state: "none", resetsAt };
  // Integer maths: budgets and spend are micro-dollars. A zero budget admits nothing, so it counts as used up.
  const percent = budgetMicros === 0 ? 100 : Math.floor((spentMicros * 100) / budgetMicros);
  const state: BudgetState = spentMicros >= budgetMicros ? "over" : spentMicros * 100 >= budgetMicros * NEAR_BUDGET_PERCENT ? "near" : "ok";
  return { budgetMicros, spentMicros, percent, state, resetsAt };
}

/** The worse of two states, for sorting those that need attention first. */
export function worstState(a: BudgetState, b: BudgetState): BudgetState {
  const rank: Record<BudgetState, number> = { over: 3, near: 2, ok: 1, none: 0 };
  return rank[a] >= rank[b] ? a : b;
}

/** "in 3 h 12 min", "in 4 days": how long until a reset, for a label beside the exact UTC time. */
export function untilLabel(at: Date, now: number): string {
  const min = Math.max(0, Math.round((at.getTime() - now) / 60_000));
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `in ${h} h ${min % 60} min`;
  return `in ${Math.round(h / 24)} days`;
}
