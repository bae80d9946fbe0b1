import { describe, expect, it } from "vitest";
import { added, judgeTargets, percentile, ratio, slope, verdict } from "../../../bench/stats.mjs";

describe("bench/stats.mjs", () => {
  it.each([
    [[5, 1, 3, 2, 4], 0.5, 3],
    [[5, 1, 3, 2, 4], 0.99, 5],
    [[5, 1, 3, 2, 4], 0, 1],
    [[7], 0.5, 7],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.99, 99],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.5, 50],
  ])("percentile(%j, %d) = %d (nearest rank, unsorted input)", (values, p, want) => {
    expect(percentile(values, p)).toBe(want);
  });

  it("percentile of nothing is null", () => {
    expect(percentile([], 0.5)).toBeNull();
  });

  it("slope is the least-squares fit and needs two distinct x", () => {
    expect(
      slope([
        { x: 1, y: 10 },
        { x: 100, y: 10 + 99 * 7 },
        { x: 1024, y: 10 + 1023 * 7 },
      ]),
    ).toBeCloseTo(7, 10);
    expect(
      slope([
        { x: 0, y: 0 },
        { x: 10, y: 20 },
        { x: 20, y: 0 },
      ]),
    ).toBeCloseTo(0, 10);
    expect(
      slope([
        { x: 5, y: 1 },
        { x: 5, y: 2 },
      ]),
    ).toBeNull();
    expect(
      slope([
        { x: 1, y: null },
        { x: 2, y: 3 },
      ]),
    ).toBeNull();
  });

  it("added and ratio propagate missing values", () => {
    expect(added(3, 1)).toBe(2);
    expect(added(null, 1)).toBeNull();
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(6, 0)).toBeNull();
    expect(ratio(undefined, 3)).toBeNull();
  });

  it.each([
    [[{ value: 0.5, op: "<=", limit: 0.5 }], "met"],
    [[{ value: 0.51, op: "<=", limit: 0.5 }], "missed"],
    [
      [
        { value: 2, op: ">=", limit: 2 },
        { value: 0, op: "==", limit: 0 },
      ],
      "met",
    ],
    [[{ value: 1, op: "==", limit: 0 }], "missed"],
    [[{ value: null, op: ">=", limit: 2 }], "not measured"],
  ] as const)("verdict(%j) = %s", (checks, want) => {
    expect(verdict([...checks])).toBe(want);
  });

  it("judges each target of the issue from the bench's figures", () => {
    const v = judgeTargets({
      c1: { addedP50: 0.4, addedP99: 1.6 },
      c64: { rps: 7000, directRps: 10000, portkeyRps: 1200 },
      streamC1: { addedTtftP50: 0.9 },
      held: { kibPerStream: 39, opened: 1000, count: 1000, errors: 0 },
      disconnects: { cancelled: 999, dropped: 1000 },
    });
    expect(v.map((t) => t.verdict)).toEqual(["missed", "met", "met", "met", "met", "missed"]);
    expect(v[1]!.value).toBe("7000 req/s = 0.70x direct, 5.83x Portkey");
  });

  it("a run without Portkey leaves the throughput target not measured", () => {
    const v = judgeTargets({ c64: { rps: 7000, directRps: 10000, portkeyRps: null } });
    expect(v[1]!.verdict).toBe("not measured");
    expect(v[4]!.verdict).toBe("not measured");
  });

  it("an RSS that fell while the streams opened is not a measurement", () => {
    const v = judgeTargets({ held: { kibPerStream: -12, opened: 1000, count: 1000, errors: 0 } });
    expect(v[3]!.verdict).toBe("not measured");
  });
});
