import { describe, expect, it } from "vitest";
import { breakerAcquire, breakerFailure, breakerNeutral, breakerSuccess, CLOSED, createBreakers, type BreakerState } from "../../../src/routing/breaker";

const P = { threshold: 3, coolDownMs: 1000 };

describe("breaker transitions", () => {
  it.each<[string, BreakerState, "acquire" | "failure" | "success" | "neutral", number, BreakerState, boolean | null]>([
    ["closed allows", CLOSED, "acquire", 0, CLOSED, true],
    ["a failure is counted", CLOSED, "failure", 0, { status: "closed", failures: 1 }, null],
    ["the threshold-th failure opens", { status: "closed", failures: 2 }, "failure", 50, { status: "open", until: 1050 }, null],
    ["success resets the count", { status: "closed", failures: 2 }, "success", 0, CLOSED, null],
    ["neutral keeps the count", { status: "closed", failures: 2 }, "neutral", 0, { status: "closed", failures: 2 }, null],
    ["open refuses during the cool-down", { status: "open", until: 1050 }, "acquire", 1049, { status: "open", until: 1050 }, false],
    ["open lets one probe through after it", { status: "open", until: 1050 }, "acquire", 1050, { status: "half-open", probeSince: 1050 }, true],
    ["a late failure keeps it open", { status: "open", until: 1050 }, "failure", 900, { status: "open", until: 1050 }, null],
    ["half-open refuses while the probe runs", { status: "half-open", probeSince: 1050 }, "acquire", 1500, { status: "half-open", probeSince: 1050 }, false],
    ["a probe that never reported stops blocking", { status: "half-open", probeSince: 1050 }, "acquire", 2050, { status: "half-open", probeSince: 2050 }, true],
    ["probe success closes", { status: "half-open", probeSince: 1050 }, "success", 1100, CLOSED, null],
    ["probe failure opens again", { status: "half-open", probeSince: 1050 }, "failure", 1100, { status: "open", until: 2100 }, null],
    ["a neutral probe frees the slot", { status: "half-open", probeSince: 1050 }, "neutral", 1100, { status: "half-open", probeSince: null }, null],
    ["a free half-open slot is taken", { status: "half-open", probeSince: null }, "acquire", 1100, { status: "half-open", probeSince: 1100 }, true],
  ])("%s", (_, state, event, now, expected, allowed) => {
    if (event === "acquire") {
      const r = breakerAcquire(state, now, P);
      expect(r.allowed).toBe(allowed);
      expect(r.state).toEqual(expected);
    } else if (event === "failure") expect(breakerFailure(state, now, P)).toEqual(expected);
    else if (event === "success") expect(breakerSuccess(state)).toEqual(expected);
    else expect(breakerNeutral(state)).toEqual(expected);
  });
});

describe("createBreakers", () => {
  it("opens a target after consecutive failures, skips it for the cool-down, then probes it", () => {
    let now = 0;
    const b = createBreakers(() => now, { threshold: 5, coolDownMs: 30_000 });
    for (let i = 0; i < 4; i++) b.failure("a");
    expect(b.available("a")).toBe(true);
    b.failure("a");
    expect(b.available("a")).toBe(false);
    expect(b.available("b")).toBe(true);
    now = 29_999;
    expect(b.acquire("a")).toBe(false);
    now = 30_000;
    expect(b.available("a")).toBe(true);
    expect(b.acquire("a")).toBe(true);
    expect(b.acquire("a")).toBe(false);
    b.success("a");
    expect(b.state("a")).toEqual(CLOSED);
    expect(b.acquire("a")).toBe(true);
  });

  it("a success between failures starts the count again", () => {
    const b = createBreakers(() => 0, { threshold: 3, coolDownMs: 10 });
    b.failure("a");
    b.failure("a");
    b.success("a");
    b.failure("a");
    b.failure("a");
    expect(b.available("a")).toBe(true);
  });
});
