import { describe, expect, it } from "vitest";
import { randomId, randomIds } from "../../src/deps";

describe("randomId", () => {
  it("gives ids of the asked length over [0-9a-zA-Z], all different, across many refills of its byte pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = randomId(i % 2 === 0 ? 24 : 29);
      expect(id).toMatch(i % 2 === 0 ? /^[0-9a-zA-Z]{24}$/ : /^[0-9a-zA-Z]{29}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it("serves a length larger than its pool", () => {
    expect(randomId(10_000)).toMatch(/^[0-9a-zA-Z]{10000}$/);
  });

  it("uses every character of the alphabet", () => {
    const chars = new Set(randomId(5_000));
    expect(chars.size).toBe(62);
    expect(randomIds.requestId()).toMatch(/^req_[0-9a-zA-Z]{24}$/);
  });
});
