import { describe, expect, it } from "vitest";
import { boundedMemo } from "../../../src/bedrock/memo";

describe("boundedMemo", () => {
  it.each([
    // [calls, max, computations]
    [["a", "a", "a"], 4, ["a"]],
    [["a", "b", "a", "b"], 4, ["a", "b"]],
    // Past max keys, everything is dropped and filled again.
    [["a", "b", "c", "a"], 2, ["a", "b", "c", "a"]],
    [["a", "b", "b", "c", "c"], 2, ["a", "b", "c"]],
  ])("%j with max %i computes %j", (calls, max, computed) => {
    const seen: string[] = [];
    const f = boundedMemo(
      max,
      (k: string) => k,
      (k) => {
        seen.push(k);
        return { k };
      },
    );
    const answers = calls.map(f);
    expect(seen).toEqual(computed);
    answers.forEach((a, i) => expect(a).toEqual({ k: calls[i] }));
  });

  it("gives the same answer object for the same key", () => {
    const f = boundedMemo(
      8,
      (u: URL) => u.href,
      (u) => ({ host: u.host }),
    );
    expect(f(new URL("https://a.example/x"))).toBe(f(new URL("https://a.example/x")));
  });
});
