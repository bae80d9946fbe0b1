import { describe, expect, it } from "vitest";
import { budgetUse, untilLabel, worstState } from "../../../src/admin/budgets";

const NOW = Date.parse("2026-12-02T21:15:30.250Z");

describe("budgetUse", () => {
  it.each([
    { budget: null, spent: 5, percent: null, state: "none" },
    { budget: 10_000_000, spent: 0, percent: 0, state: "ok" },
    { budget: 10_000_000, spent: 7_999_999, percent: 79, state: "ok" },
    { budget: 10_000_000, spent: 8_000_000, percent: 80, state: "near" },
    { budget: 10_000_000, spent: 9_999_999, percent: 99, state: "near" },
    { budget: 10_000_000, spent: 10_000_000, percent: 100, state: "over" },
    { budget: 10_000_000, spent: 25_000_000, percent: 250, state: "over" },
    { budget: 0, spent: 0, percent: 100, state: "over" },
    { budget: 3, spent: 2, percent: 66, state: "ok" },
  ])("spent $spent of $budget µ$ → $percent% $state", ({ budget, spent, percent, state }) => {
    const u = budgetUse(budget, spent, "daily", NOW);
    expect(u.percent).toBe(percent);
    expect(u.state).toBe(state);
  });

  it.each([
    ["daily", "2026-12-03T00:00:00.000Z"],
    ["monthly", "2027-01-01T00:00:00.000Z"],
  ] as const)("a %s budget resets at %s", (period, at) => {
    expect(budgetUse(1, 0, period, NOW).resetsAt.toISOString()).toBe(at);
  });

  it.each([
    ["2026-12-02T21:45:30Z", "in 30 min"],
    ["2026-12-03T00:00:00Z", "in 2 h 44 min"],
    ["2027-01-01T00:00:00Z", "in 29 days"],
  ])("until %s: %s", (at, label) => expect(untilLabel(new Date(at), NOW)).toBe(label));

  it.each([
    ["ok", "near", "near"],
    ["over", "near", "over"],
    ["none", "ok", "ok"],
    ["none", "none", "none"],
  ] as const)("worst of %s and %s is %s", (a, b, w) => expect(worstState(a, b)).toBe(w));
});
