import { describe, expect, it } from "vitest";
import { MAX_STACK_PARTS, axisLabel, chartSvg, dailySeries, niceStep } from "../../../src/admin/chart";
import type { ReportRow } from "../../../src/db/report";

const row = (day: string, costMicros: number, extra: Partial<ReportRow["groups"]> = {}, requests = 1): ReportRow => ({
  groups: { day, ...extra },
  requests,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costMicros,
});

describe("dailySeries", () => {
  it("one bar per day of the period, zero where nothing was spent", () => {
    const s = dailySeries([row("2026-12-01", 5, {}, 2), row("2026-12-03", 7)], ["2026-12-01", "2026-12-02", "2026-12-03"], null);
    expect(s.days.map((d) => [d.day, d.totalMicros, d.requests])).toEqual([
      ["2026-12-01", 5, 2],
      ["2026-12-02", 0, 0],
      ["2026-12-03", 7, 1],
    ]);
    expect(s.names).toEqual([]);
  });

  it("stacks by the second dimension, largest first; a missing team is named", () => {
    const rows = [row("2026-12-01", 5, { team: "a" }), row("2026-12-01", 9, { team: null }), row("2026-12-02", 2, { team: "a" })];
    const s = dailySeries(rows, ["2026-12-01", "2026-12-02"], "team");
    expect(s.names).toEqual(["(no team)", "a"]);
    expect(s.days[0].parts).toEqual([
      { name: "(no team)", micros: 9 },
      { name: "a", micros: 5 },
    ]);
    expect(s.days[1].totalMicros).toBe(2);
  });

  it(`keeps ${MAX_STACK_PARTS - 1} names and sums the rest as "other", without losing a micro-dollar`, () => {
    const rows = Array.from({ length: 9 }, (_, i) => row("2026-12-01", (i + 1) * 1_000_003, { user: `u${i}` }));
    const s = dailySeries(rows, ["2026-12-01"], "user");
    expect(s.names).toEqual(["u8", "u7", "u6", "u5", "u4", "other"]);
    expect(s.days[0].parts.reduce((a, p) => a + p.micros, 0)).toBe(s.days[0].totalMicros);
    expect(s.days[0].parts.at(-1)!.micros).toBe((1 + 2 + 3 + 4) * 1_000_003);
  });

  it("ignores rows outside the days asked for", () => {
    expect(dailySeries([row("2026-11-30", 5)], ["2026-12-01"], null).days[0].totalMicros).toBe(0);
  });
});

describe("axis", () => {
  it.each([
    [0, 10_000],
    [1, 1],
    [39, 10],
    [41, 20],
    [4_000_000, 1_000_000],
    [4_000_001, 2_000_000],
    [123_456_789, 50_000_000],
  ])("niceStep(%i) = %i", (max, step) => {
    expect(niceStep(max)).toBe(step);
    expect(step * 4).toBeGreaterThanOrEqual(max);
  });

  it.each([
    [2_000_000, 1_000_000, "$2"],
    [1_500_000, 500_000, "$1.50"],
    [20_000, 10_000, "$0.02"],
    [1_500, 500, "$0.0015"],
    [3, 1, "$0.000003"],
  ])("axisLabel(%i, step %i) = %s", (v, step, want) => expect(axisLabel(v, step)).toBe(want));

  it("draws a labelled SVG with each day's exact amount in its tooltip", () => {
    const s = dailySeries([row("2026-12-01", 1_234_567)], ["2026-12-01", "2026-12-02"], null);
    const svg = String(chartSvg(s));
    expect(svg).toContain('role="img"');
    expect(svg).toContain("<title>2026-12-01: 1.234567 USD, 1 requests</title>");
    expect(svg).toContain('data-day="2026-12-02" data-cost="0.000000"');
    expect(svg).toContain(">$0.50<");
  });
});
