import { describe, expect, it } from "vitest";
import { costMicros, formatMicros, maxCostMicros, microsFromNumber, parseMicros, type Pricing } from "../../../src/usage/cost";

const u = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});
// Claude Sonnet 4.5 list price: USD 3 / 15 per million, cache read 0.30, cache write 3.75.
const sonnet: Pricing = { price: { input: 3_000_000, output: 15_000_000, cacheRead: 300_000, cacheWrite: 3_750_000 } };

describe("parseMicros / formatMicros", () => {
  it.each([
    ["3", 3_000_000],
    ["0.035", 35_000],
    ["0.00875", 8_750],
    ["12.5", 12_500_000],
    ["0.000001", 1],
    ["0", 0],
    [" 7 ", 7_000_000],
  ])("parses %s", (text, micros) => expect(parseMicros(text)).toBe(micros));
  it.each(["", "-1", "1.0000001", "1e3", "abc", "1.", ".5", "NaN"])("refuses %j", (text) => expect(parseMicros(text)).toBeNull());
  it.each([
    [0, "0.000000"],
    [1, "0.000001"],
    [2738, "0.002738"],
    [12_500_000, "12.500000"],
    [-1, "-0.000001"],
  ])("formats %d as %s", (micros, text) => expect(formatMicros(micros)).toBe(text));
  it.each([
    [3, 3_000_000],
    [0.00875, 8_750],
    [0.1, 100_000],
    [3.75, 3_750_000],
  ])("converts the float price %d through its decimal spelling", (usd, micros) => expect(microsFromNumber(usd)).toBe(micros));
});

describe("costMicros", () => {
  it.each([
    ["nothing", u(0, 0), 0],
    ["1000 in + 500 out = 0.0105 USD", u(1000, 500), 10_500],
    ["each bucket at its own rate", u(3, 401, 0, 1789), Math.floor((3 * 3_000_000 + 401 * 15_000_000 + 1789 * 3_750_000 + 500_000) / 1_000_000)],
    ["cache reads at the cache-read rate", u(0, 0, 1_000_000), 300_000],
    ["one token rounds half up: 3 µ$", u(1, 0), 3],
    ["output at the output rate", u(0, 2), 30],
  ])("%s", (_name, usage, expected) => expect(costMicros(usage, sonnet)).toBe(expected));

  it("rounds once per request, half up", () => {
    // 1 token at USD 0.5 / 1M = 0.5 µ$ → 1; two such tokens = exactly 1 µ$.
    const half: Pricing = { price: { input: 500_000, output: 0 } };
    expect(costMicros(u(1, 0), half)).toBe(1);
    expect(costMicros(u(2, 0), half)).toBe(1);
    expect(costMicros(u(3, 0), half)).toBe(2);
    const under: Pricing = { price: { input: 499_999, output: 0 } };
    expect(costMicros(u(1, 0), under)).toBe(0);
  });

  it("charges missing cache rates at the input rate", () => {
    expect(costMicros(u(0, 0, 10, 10), { price: { input: 1_000_000, output: 0 } })).toBe(20);
  });

  it("charges every token at the long-context rate once input passes the threshold", () => {
    const lc: Pricing = {
      price: { input: 3_000_000, output: 15_000_000 },
      longContext: { aboveInputTokens: 200_000, price: { input: 6_000_000, output: 22_500_000 } },
    };
    expect(costMicros(u(200_000, 1000), lc)).toBe(200_000 * 3 + 1000 * 15);
    expect(costMicros(u(150_000, 1000, 50_001), lc)).toBe((150_000 + 50_001) * 6 + Math.round(1000 * 22.5));
  });
});

describe("maxCostMicros", () => {
  it("bounds the real cost: input at the dearest input rate, the whole output limit", () => {
    expect(maxCostMicros(1000, 500, sonnet)).toBe(Math.ceil((1000 * 3_750_000 + 500 * 15_000_000) / 1_000_000));
    for (const [i, o, r, w] of [
      [1000, 500, 0, 0],
      [0, 500, 1000, 0],
      [0, 500, 0, 1000],
      [400, 100, 300, 300],
    ]) {
      expect(costMicros(u(i, o, r, w), sonnet)).toBeLessThanOrEqual(maxCostMicros(1000, 500, sonnet));
    }
  });
});
