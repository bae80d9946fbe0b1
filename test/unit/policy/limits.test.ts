import { describe, expect, it } from "vitest";
import { formatResetDuration, limitChecks, periodsAt, rateLimitHeaders, refusalError, secondsUntilReset, type Policy } from "../../../src/policy/limits";

const p = (over: Partial<Policy>): Policy => ({
  allowedModels: null,
  rpmLimit: null,
  tpmLimit: null,
  budgetDailyMicros: null,
  budgetMonthlyMicros: null,
  ...over,
});
const NOW = Date.UTC(2026, 11, 31, 23, 59, 30, 250);

describe("limits", () => {
  it("periods are the minute, UTC day and month", () => {
    expect(periodsAt(NOW)).toEqual({ window: Math.floor(NOW / 60_000), day: "d2026-12-31", month: "m2026-12", now: NOW });
  });

  it.each([
    [NOW, "d2026-12-31", "m2026-12"],
    [NOW + 29_750, "d2027-01-01", "m2027-01"],
    [NOW + 29_749, "d2026-12-31", "m2026-12"],
    [Date.UTC(2026, 1, 28, 0, 0, 0, 0), "d2026-02-28", "m2026-02"],
    [Date.UTC(2026, 1, 28, 23, 59, 59, 999), "d2026-02-28", "m2026-02"],
    [Date.UTC(2026, 2, 1), "d2026-03-01", "m2026-03"],
    [NOW, "d2026-12-31", "m2026-12"],
    [-1, "d1969-12-31", "m1969-12"],
    [0, "d1970-01-01", "m1970-01"],
  ])("in turn, the periods of %i are %s and %s", (now, day, month) => {
    expect(periodsAt(now)).toEqual({ window: Math.floor(now / 60_000), day, month, now });
  });

  it.each([
    ["rpm", 30],
    ["tpm", 30],
    ["daily", 30],
    ["monthly", 30],
  ] as const)("%s resets at the end of its window (here all at midnight on New Year)", (limit, seconds) => {
    expect(secondsUntilReset(limit, NOW)).toBe(seconds);
  });

  it.each([
    [1, "1s"],
    [59, "59s"],
    [60, "1m0s"],
    [3723, "1h2m3s"],
  ])("formats %d s as %s", (s, text) => expect(formatResetDuration(s)).toBe(text));

  it("checks only levels with limits, sorted by subject, with only the limits that are set", () => {
    const checks = limitChecks({
      key: { subject: "key:k1", policy: p({ rpmLimit: 5 }) },
      user: { subject: "user:a@x", policy: p({ allowedModels: ["x"] }) },
      team: { subject: "team:t", policy: p({ budgetDailyMicros: 10, tpmLimit: 100 }) },
    });
    expect(checks).toEqual([
      { subject: "key:k1", rpm: 5 },
      { subject: "team:t", tpm: 100, daily: 10 },
    ]);
  });

  it("rate-limit headers report the tightest level, remaining counting this request", () => {
    const checks = [
      { subject: "key:k", rpm: 10, tpm: 1000 },
      { subject: "team:t", rpm: 3 },
    ];
    const h = rateLimitHeaders(
      checks,
      {
        ok: true,
        rates: [
          { subject: "key:k", requests: 2, tokens: 400 },
          { subject: "team:t", requests: 3, tokens: 400 },
        ],
      },
      NOW,
    );
    expect(h).toEqual({
      "x-ratelimit-limit-requests": "3",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "30s",
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": "600",
      "x-ratelimit-reset-tokens": "30s",
    });
  });

  it.each([
    [{ limit: "rpm", subject: "key:k", max: 5, used: 5 }, 429, "rate_limit_exceeded", /this API key: 5 requests per minute/],
    [{ limit: "tpm", subject: "team:eng", max: 100, used: 90 }, 429, "rate_limit_exceeded", /team eng: 100 tokens per minute/],
    [
      { limit: "daily", subject: "user:a@x", max: 1_000_000, used: 999_000 },
      429,
      "insufficient_quota",
      /daily budget of user a@x \(USD 1.000000\).*0.999000.*2027-01-01T00:00:00Z/,
    ],
    [{ limit: "monthly", subject: "team:eng", max: 5, used: 5 }, 429, "insufficient_quota", /monthly budget of team eng/],
  ] as const)("refusal %o", (r, status, code, message) => {
    const err = refusalError({ ok: false, ...r }, NOW, 50);
    expect(err.status).toBe(status);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.retryAfter).toBe(30);
  });
});
