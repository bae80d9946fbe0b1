import { describe, expect, it } from "vitest";
import { settlementLocks, type UsageRow, type UsageLease } from "../../../src/db/usage";

const base: UsageRow = {
  requestId: "req_1",
  keyId: "k1",
  userEmail: "a@example.com",
  endpoint: "chat.completions",
  model: "m",
  stream: false,
  status: "ok",
  inputTokens: 1,
  outputTokens: 1,
  costMicros: 1,
  latencyMs: 1,
};
const lease = (over: Partial<UsageLease> = {}): UsageLease => ({
  window: 100,
  day: "d2026-12-04",
  month: "m2026-12",
  tokens: 5,
  rate: ["key:k1"],
  cost: 9,
  budget: ["key:k1"],
  ...over,
});

describe("settlementLocks", () => {
  it.each<[string, UsageRow[], ReturnType<typeof settlementLocks>]>([
    [
      "a leased row: its periods and its rate windows",
      [{ ...base, lease: lease() }],
      [
        { subject: "key:k1", windows: [100], periods: ["d2026-12-04", "m2026-12"] },
        { subject: "user:a@example.com", windows: [], periods: ["d2026-12-04", "m2026-12"] },
      ],
    ],
    [
      "a row without a lease: the day and month of its creation",
      [{ ...base, keyId: null, team: "t", createdAt: new Date(Date.UTC(2026, 0, 31, 23, 59)) }],
      [
        { subject: "team:t", windows: [], periods: ["d2026-01-31", "m2026-01"] },
        { subject: "user:a@example.com", windows: [], periods: ["d2026-01-31", "m2026-01"] },
      ],
    ],
    [
      "rows of two windows and days: windows newest first, periods in code order, subjects sorted",
      [
        { ...base, lease: lease({ window: 100, rate: ["key:k1", "user:a@example.com"] }) },
        { ...base, lease: lease({ window: 101, day: "d2026-12-05" }) },
        { ...base, keyId: "k0", createdAt: new Date(Date.UTC(2026, 11, 5, 1)) },
      ],
      [
        { subject: "key:k0", windows: [], periods: ["d2026-12-05", "m2026-12"] },
        { subject: "key:k1", windows: [101, 100], periods: ["d2026-12-04", "d2026-12-05", "m2026-12"] },
        { subject: "user:a@example.com", windows: [100], periods: ["d2026-12-04", "d2026-12-05", "m2026-12"] },
      ],
    ],
  ])("%s", (_name, rows, expected) => {
    expect(settlementLocks(rows)).toEqual(expected);
  });
});
