import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import { silentLogger } from "../../../src/logger";
import type { ModelTarget } from "../../../src/models/catalogue";
import { AttemptError, type RetryClass } from "../../../src/routing/classify";
import { createRouter, type AttemptContext, type AttemptReport, type RouterOptions } from "../../../src/routing/router";

const A: ModelTarget = { modelId: "model-a", region: null, pricing: null };
const B: ModelTarget = { modelId: "model-b", region: "us-west-2", pricing: null };
const C: ModelTarget = { modelId: "model-c", region: "eu-west-1", pricing: null };

const fail = (retry: RetryClass, code = retry === "next" ? "rate_limit_exceeded" : retry === "same" ? null : "bad", status = 500) =>
  new AttemptError(new GatewayError({ status, type: "server_error", code, message: `${retry} failure` }), retry);
const timeout = () => new AttemptError(new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: "slow" }), "same");

/** A router on a fake clock: sleeping advances it, and every call takes `callMs`. */
function harness(over: Partial<RouterOptions> = {}, callMs = 0) {
  const clock = { t: 1_000_000 };
  const sleeps: number[] = [];
  const router = createRouter({
    defaultRegion: "us-east-1",
    maxAttempts: 3,
    connectTimeoutMs: 1_000,
    firstByteTimeoutMs: 5_000,
    deadlineMs: 20_000,
    now: () => clock.t,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    logger: silentLogger,
    ...over,
  });
  const calls: { id: string; ctx: AttemptContext }[] = [];
  /** Each call takes the next outcome: an error to throw, or a value to return. */
  const script = (outcomes: (Error | string)[]) => async (t: ModelTarget, ctx: AttemptContext) => {
    calls.push({ id: t.modelId, ctx });
    clock.t += callMs;
    const o = outcomes.shift();
    if (o === undefined) throw new Error("script ran out");
    if (o instanceof Error) throw o;
    return o;
  };
  return { router, clock, sleeps, calls, script };
}

const ids = (calls: { id: string }[]) => calls.map((c) => c.id);

describe("router: where each attempt goes", () => {
  it.each<[string, ModelTarget[], (Error | string)[], string[], number[]]>([
    ["the first target serves", [A, B], ["ok"], ["model-a"], []],
    ["throttled: the next target at once", [A, B], [fail("next"), "ok"], ["model-a", "model-b"], []],
    ["5xx: the same target once after a backoff", [A, B], [fail("same"), "ok"], ["model-a", "model-a"], [50]],
    ["5xx twice: then the next target", [A, B], [fail("same"), fail("same"), "ok"], ["model-a", "model-a", "model-b"], [50]],
    ["timeout before the first byte counts as 5xx", [A, B], [timeout(), "ok"], ["model-a", "model-a"], [50]],
    ["throttled everywhere: wraps around with a backoff", [A, B], [fail("next"), fail("next"), "ok"], ["model-a", "model-b", "model-a"], [50]],
    ["one target throttled: retried after a backoff", [A], [fail("next"), fail("next"), "ok"], ["model-a", "model-a", "model-a"], [50, 100]],
    ["three targets, throttled twice", [A, B, C], [fail("next"), fail("next"), "ok"], ["model-a", "model-b", "model-c"], []],
  ])("%s", async (_, targets, outcomes, expectedCalls, expectedSleeps) => {
    const h = harness();
    const r = await h.router.run(targets, h.script(outcomes));
    expect(r.value).toBe("ok");
    expect(ids(h.calls)).toEqual(expectedCalls);
    expect(r.attempts).toBe(expectedCalls.length);
    expect(r.target.modelId).toBe(expectedCalls.at(-1));
    expect(h.sleeps).toEqual(expectedSleeps);
  });

  it.each<[string, (Error | string)[], string[]]>([
    ["a validation error is not retried", [fail("never", null, 400)], ["model-a"]],
    ["attempts stop at the limit (UPSTREAM_RETRIES + 1)", [fail("next"), fail("next"), fail("next"), "ok"], ["model-a", "model-b", "model-a"]],
  ])("%s", async (_, outcomes, expectedCalls) => {
    const h = harness();
    const first = outcomes[0] as Error;
    const err = await h.router.run([A, B], h.script(outcomes)).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.message).toBe(expectedCalls.length === 1 ? first.message : "next failure");
    expect(ids(h.calls)).toEqual(expectedCalls);
  });

  it("signs each attempt for its target's region and gives it the phase limits", async () => {
    const h = harness();
    await h.router.run([A, B], h.script([fail("next"), "ok"]));
    expect(h.calls.map((c) => c.ctx)).toEqual([
      { region: "us-east-1", signal: undefined, connectTimeoutMs: 1_000, firstByteTimeoutMs: 5_000, attempt: 1 },
      { region: "us-west-2", signal: undefined, connectTimeoutMs: 1_000, firstByteTimeoutMs: 5_000, attempt: 2 },
    ]);
  });

  it("reports every attempt as it starts and ends", async () => {
    const h = harness();
    const started: string[] = [];
    const reports: AttemptReport[] = [];
    await h.router.run([A, B], h.script([fail("next"), "ok"]), {
      onAttempt: (t, region, n) => started.push(`${n}:${t.modelId}@${region}`),
      onReport: (r) => reports.push(r),
    });
    expect(started).toEqual(["1:model-a@us-east-1", "2:model-b@us-west-2"]);
    expect(reports.map((r) => [r.attempt, r.modelId, r.outcome, r.code, r.retry])).toEqual([
      [1, "model-a", "error", "rate_limit_exceeded", "next"],
      [2, "model-b", "ok", null, null],
    ]);
  });

  it("starts with the preferred target when it is available", async () => {
    const h = harness();
    await h.router.run([A, B], h.script(["ok"]), { prefer: 1 });
    expect(ids(h.calls)).toEqual(["model-b"]);
  });
});

describe("router: deadline", () => {
  it("never gives an attempt more than what is left of the deadline", async () => {
    const h = harness({ deadlineMs: 7_000 }, 4_000);
    await h.router.run([A, B], h.script([fail("next"), "ok"]));
    expect(h.calls.map((c) => [c.ctx.connectTimeoutMs, c.ctx.firstByteTimeoutMs])).toEqual([
      [1_000, 5_000],
      [1_000, 3_000],
    ]);
  });

  it("a timeout that used up the deadline answers 504 naming it", async () => {
    const h = harness({ deadlineMs: 6_000, firstByteTimeoutMs: 5_000 });
    let n = 0;
    const err = await h.router
      .run([A, B], async (_t, ctx) => {
        n++;
        h.clock.t += ctx.firstByteTimeoutMs;
        throw timeout();
      })
      .catch((e) => e);
    expect(n).toBe(2);
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout", message: "Bedrock did not answer within 6000 ms (2 attempts)." });
  });

  it("a timeout with no time left to back off is the deadline's too", async () => {
    const h = harness({ deadlineMs: 5_060, firstByteTimeoutMs: 5_000, random: () => 0.999 });
    const err = await h.router
      .run([A, B], async (_t, ctx) => {
        h.clock.t += ctx.firstByteTimeoutMs;
        throw timeout();
      })
      .catch((e) => e);
    expect(h.sleeps).toEqual([]);
    expect(err).toMatchObject({ status: 504, message: "Bedrock did not answer within 5060 ms (1 attempt)." });
  });

  it("does not back off past the deadline: the last failure is the answer", async () => {
    const h = harness({ deadlineMs: 1_030 }, 1_000);
    const err = await h.router.run([A], h.script([fail("same"), "ok"])).catch((e) => e);
    expect(err.message).toBe("same failure");
    expect(h.sleeps).toEqual([]);
    expect(h.calls).toHaveLength(1);
  });
});

describe("router: circuit breaker", () => {
  it("skips a target after 5 consecutive failures for 30 s, then probes it", async () => {
    const h = harness({ maxAttempts: 1 });
    for (let i = 0; i < 5; i++) await h.router.run([A, B], h.script([fail("same")])).catch(() => {});
    expect(h.router.breakerState(A)).toMatchObject({ status: "open" });
    await h.router.run([A, B], h.script(["ok"]));
    expect(h.calls.at(-1)!.id).toBe("model-b");
    h.clock.t += 30_000;
    await h.router.run([A, B], h.script(["ok"]));
    expect(h.calls.at(-1)!.id).toBe("model-a");
    expect(h.router.breakerState(A)).toEqual({ status: "closed", failures: 0 });
  });

  it("validation errors leave the breaker closed", async () => {
    const h = harness({ maxAttempts: 1 });
    for (let i = 0; i < 6; i++) await h.router.run([A, B], h.script([fail("never", null, 400)])).catch(() => {});
    expect(h.router.breakerState(A)).toEqual({ status: "closed", failures: 0 });
  });

  it("a model whose only target is open is still tried", async () => {
    const h = harness({ maxAttempts: 1 });
    for (let i = 0; i < 5; i++) await h.router.run([A], h.script([fail("same")])).catch(() => {});
    const r = await h.router.run([A], h.script(["ok"]));
    expect(r.value).toBe("ok");
  });
});

describe("router: the client going away", () => {
  it("stops at once with 499, without further attempts", async () => {
    const h = harness();
    const controller = new AbortController();
    const err = await h.router
      .run(
        [A, B],
        async () => {
          controller.abort();
          throw fail("next");
        },
        { signal: controller.signal },
      )
      .catch((e) => e);
    expect(err).toMatchObject({ status: 499, code: "client_closed_request" });
    expect(h.router.breakerState(A)).toEqual({ status: "closed", failures: 0 });
  });
});
