import { describe, expect, it } from "vitest";
import {
  type Demand,
  extraToAsk,
  type Lease,
  leaseFrom,
  leaseHoldsRoom,
  leaseMatches,
  noteDemand,
  releasePayload,
  takeFromLease,
} from "../../../src/policy/lease";
import { periodsAt } from "../../../src/policy/limits";

const periods = periodsAt(Date.UTC(2026, 11, 4, 10, 30, 5));
const lease = (over: Partial<Lease> = {}): Lease => ({
  id: "lease-1",
  window: periods.window,
  day: periods.day,
  month: periods.month,
  checks: "[]",
  requests: 3,
  tokens: 30,
  cost: 300,
  rated: true,
  budgeted: true,
  rates: [{ subject: "key:k", requests: 5, tokens: 50 }],
  usedAt: 0,
  ...over,
});

describe("takeFromLease", () => {
  it.each([
    ["room for it", lease(), 10, 100, { requests: 2, tokens: 20, cost: 200 }],
    ["exactly the room left", lease({ requests: 1, tokens: 10, cost: 100 }), 10, 100, { requests: 0, tokens: 0, cost: 0 }],
    ["no requests left", lease({ requests: 0 }), 1, 1, null],
    ["too few tokens", lease({ tokens: 9 }), 10, 100, null],
    ["too little budget", lease({ cost: 99 }), 10, 100, null],
    ["tokens do not count without a rate limit", lease({ rated: false, tokens: 0 }), 10, 100, { requests: 2, tokens: 0, cost: 200 }],
    ["cost does not count without a budget", lease({ budgeted: false, cost: 0 }), 10, 100, { requests: 2, tokens: 20, cost: 0 }],
  ] as const)("%s", (_name, l, tokens, cost, left) => {
    const before = { ...l };
    const r = takeFromLease(l, tokens, cost, 42);
    if (left === null) {
      expect(r).toBeNull();
      expect(l).toEqual(before);
      return;
    }
    expect(r).toEqual({ ok: true, rates: [{ subject: "key:k", requests: 6, tokens: 50 + tokens }] });
    expect({ requests: l.requests, tokens: l.tokens, cost: l.cost }).toEqual(left);
    expect(l.usedAt).toBe(42);
  });
});

describe("leaseFrom", () => {
  const rates = [{ subject: "key:k", requests: 1, tokens: 10 }];
  it.each([
    ["granted only its own", [{ subject: "key:k", rpm: 10 }], 1, null],
    ["rate limits only", [{ subject: "key:k", rpm: 10 }], 5, { requests: 4, tokens: 40, cost: 0, rated: true, budgeted: false }],
    ["budget only", [{ subject: "key:k", daily: 10_000 }], 3, { requests: 2, tokens: 0, cost: 200, rated: false, budgeted: true }],
    [
      "both",
      [
        { subject: "key:k", tpm: 1000 },
        { subject: "user:u", monthly: 10 },
      ],
      2,
      { requests: 1, tokens: 10, cost: 100, rated: true, budgeted: true },
    ],
  ] as const)("%s", (_name, checks, granted, want) => {
    const l = leaseFrom("lease-2", periods, checks, JSON.stringify(checks), 10, 100, granted, rates, 7);
    if (want === null) expect(l).toBeNull();
    else
      expect(l).toMatchObject({
        ...want,
        id: "lease-2",
        window: periods.window,
        day: periods.day,
        month: periods.month,
        checks: JSON.stringify(checks),
        usedAt: 7,
      });
  });
});

describe("leaseMatches", () => {
  it.each([
    ["same periods and checks", periods, "[]", true],
    ["next minute", periodsAt(periods.now + 60_000), "[]", false],
    ["changed limits", periods, '[{"subject":"key:k","rpm":1}]', false],
  ] as const)("%s", (_name, p, checks, ok) => {
    expect(leaseMatches(lease(), p, checks)).toBe(ok);
  });
});

describe("releasePayload", () => {
  it.each([
    ["all of it", lease(), { requests: 3, tokens: 30, cost: 300 }],
    ["no rate limits: no requests or tokens", lease({ rated: false }), { requests: 0, tokens: 0, cost: 300 }],
    ["no budget: no cost", lease({ budgeted: false }), { requests: 3, tokens: 30, cost: 0 }],
  ] as const)("%s", (_name, l, totals) => {
    expect(JSON.parse(releasePayload(l))).toEqual({ id: "lease-1", window: l.window, day: l.day, month: l.month, ...totals, checks: [] });
  });

  it("a lease with nothing left holds no room", () => {
    expect(leaseHoldsRoom(lease({ requests: 0, tokens: 0, cost: 0 }))).toBe(false);
    expect(leaseHoldsRoom(lease({ requests: 0, tokens: 0, cost: 1 }))).toBe(true);
  });
});

describe("extraToAsk and noteDemand", () => {
  it.each([
    [{ previous: 0, current: 1 }, 16, 0],
    [{ previous: 19, current: 0 }, 16, 0],
    [{ previous: 20, current: 3 }, 16, 1],
    [{ previous: 100, current: 250 }, 16, 12],
    [{ previous: 5_000, current: 0 }, 16, 16],
    [{ previous: 5_000, current: 0 }, 0, 0],
  ])("recent %j, max %i: %i more", (recent, max, extra) => {
    expect(extraToAsk(recent, max)).toBe(extra);
  });

  it("counts per second, carrying only the second just before", () => {
    const d: Demand = { second: 0, previous: 0, current: 0 };
    for (let i = 0; i < 30; i++) noteDemand(d, 10_000 + i);
    expect(d).toEqual({ second: 10, previous: 0, current: 30 });
    noteDemand(d, 11_500);
    expect(d).toEqual({ second: 11, previous: 30, current: 1 });
    noteDemand(d, 15_000);
    expect(d).toEqual({ second: 15, previous: 0, current: 1 });
  });
});
