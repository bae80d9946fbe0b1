import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../../../src/routing/backoff";

describe("backoffDelay: full jitter under an exponential ceiling", () => {
  it.each([
    // retry n, random, expected ms with base 100 and cap 2000
    [0, 0, 0],
    [0, 0.5, 50],
    [0, 0.999, 99],
    [1, 0.5, 100],
    [2, 0.5, 200],
    [3, 0.999, 799],
    [4, 0.5, 800],
    [5, 0.5, 1000],
    [10, 0.5, 1000],
    [30, 0.9999, 1999],
    [0, 1, 99],
    [-1, 0.5, 50],
  ])("retry %i with random %f → %i ms", (n, r, expected) => {
    expect(backoffDelay(n, () => r, DEFAULT_BACKOFF)).toBe(expected);
  });

  it.each([
    [{ baseMs: 10, capMs: 50 }, 3, 0.5, 25],
    [{ baseMs: 0, capMs: 50 }, 3, 0.5, 0],
  ])("policy %o, retry %i, random %f → %i ms", (policy, n, r, expected) => {
    expect(backoffDelay(n, () => r, policy)).toBe(expected);
  });

  it("is an integer within [0, ceiling) for any random value", () => {
    for (let n = 0; n < 12; n++) {
      for (const r of [0, 0.1, 0.33, 0.5, 0.77, 0.99999]) {
        const d = backoffDelay(n, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(2000, 100 * 2 ** n));
      }
    }
  });
});
