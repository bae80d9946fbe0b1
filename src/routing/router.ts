/**
 * Runs one upstream call over a model's ordered targets: picks the target (select.ts), skips those whose breaker is
 * open (breaker.ts), waits with jittered backoff before trying a target again (backoff.ts), and gives up at the
 * attempt limit, the total deadline, or a failure that must not be retried (classify.ts). It only ever runs before
 * the first byte has gone to the client: the call it is given resolves once Bedrock's answer (or a stream's first
 * event) is in hand, and nothing after that is retried. Clock, randomness and sleep are injected.
 */
import { abortedError } from "../bedrock/client";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import type { ModelTarget } from "../models/catalogue";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff";
import { createBreakers, DEFAULT_BREAKER, type BreakerPolicy } from "./breaker";
import { retryClassOf, type RetryClass } from "./classify";
import { firstTarget, nextTarget, targetRegion } from "./select";

export type RouterOptions = {
  /** AWS_REGION: the region of targets that name none. */
  defaultRegion: string;
  /** Attempts per call, first one included (UPSTREAM_RETRIES + 1). */
  maxAttempts: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  /** All attempts of one call, backoff included, until the first byte (UPSTREAM_TIMEOUT_MS). */
  deadlineMs: number;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  logger: Logger;
  breaker?: BreakerPolicy;
  backoff?: BackoffPolicy;
};

/** What one attempt is given: where it goes and how long each phase may take. */
export type AttemptContext = { region: string; signal?: AbortSignal; connectTimeoutMs: number; firstByteTimeoutMs: number; attempt: number };

export type AttemptReport = {
  modelId: string;
  region: string;
  /** 1-based number of this attempt within the call. */
  attempt: number;
  outcome: "ok" | "error";
  /** For failures: the HTTP status and error code (or type) the client would see, and what it allowed next. */
  status: number | null;
  code: string | null;
  retry: RetryClass | null;
  durationMs: number;
};

export type RunHooks = {
  signal?: AbortSignal;
  /** Target index to start with when it is available (a request that already has a serving target). */
  prefer?: number;
  /** Called as each attempt starts. */
  onAttempt?: (target: ModelTarget, region: string, attempt: number) => void;
  /** Called as each attempt ends. */
  onReport?: (report: AttemptReport) => void;
};

export type Routed<T> = { value: T; target: ModelTarget; index: number; region: string; attempts: number };

export type Router = {
  run<T>(targets: readonly ModelTarget[], call: (target: ModelTarget, ctx: AttemptContext) => Promise<T>, hooks?: RunHooks): Promise<Routed<T>>;
  /** The breaker state of a target (for logs and tests). */
  breakerState(target: { modelId: string; region: string | null }): ReturnType<ReturnType<typeof createBreakers>["state"]>;
};

export function createRouter(opts: RouterOptions): Router {
  const breakers = createBreakers(opts.now, opts.breaker ?? DEFAULT_BREAKER);
  const regionOf = (t: { modelId: string; region: string | null }) => targetRegion(t, opts.defaultRegion);
  const keyOf = (t: { modelId: string; region: string | null }) => `${t.modelId}\0${regionOf(t)}`;

  async function run<T>(
    targets: readonly ModelTarget[],
    call: (target: ModelTarget, ctx: AttemptContext) => Promise<T>,
    hooks: RunHooks = {},
  ): Promise<Routed<T>> {
    if (targets.length === 0) throw GatewayError.internal();
    const started = opts.now();
    const selection = { count: targets.length, available: (i: number) => breakers.available(keyOf(targets[i]!)) };
    const tried = new Set<number>();
    const retriedSame = new Set<number>();
    let index = hooks.prefer !== undefined && hooks.prefer < targets.length && selection.available(hooks.prefer) ? hooks.prefer : firstTarget(selection);
    let backoffs = 0;

    for (let attempt = 1; ; attempt++) {
      const target = targets[index]!;
      const region = regionOf(target);
      const key = keyOf(target);
      const remaining = opts.deadlineMs - (opts.now() - started);
      const firstByteTimeoutMs = Math.min(opts.firstByteTimeoutMs, remaining);
      breakers.acquire(key);
      tried.add(index);
      hooks.onAttempt?.(target, region, attempt);
      const at = opts.now();
      let failure: unknown;
      try {
        const value = await call(target, {
          region,
          signal: hooks.signal,
          connectTimeoutMs: Math.min(opts.connectTimeoutMs, remaining),
          firstByteTimeoutMs,
          attempt,
        });
        breakers.success(key);
        hooks.onReport?.({ modelId: target.modelId, region, attempt, outcome: "ok", status: null, code: null, retry: null, durationMs: opts.now() - at });
        return { value, target, index, region, attempts: attempt };
      } catch (err) {
        failure = err;
      }

      const retry = hooks.signal?.aborted ? "never" : retryClassOf(failure);
      if (retry === "never") breakers.neutral(key);
      else breakers.failure(key);
      const gw = failure instanceof GatewayError ? failure : null;
      hooks.onReport?.({
        modelId: target.modelId,
        region,
        attempt,
        outcome: "error",
        status: gw?.status ?? 500,
        code: gw?.code ?? gw?.type ?? "internal_error",
        retry,
        durationMs: opts.now() - at,
      });
      if (hooks.signal?.aborted) throw abortedError(hooks.signal);

      const left = opts.deadlineMs - (opts.now() - started);
      const next = attempt < opts.maxAttempts ? nextTarget({ ...selection, current: index, retry, retriedSame }) : null;
      const log = { modelId: target.modelId, region, attempt, code: gw?.code ?? null, status: gw?.status ?? null };
      if (next === null) {
        opts.logger.warn("bedrock attempt failed; giving up", { ...log, retry, error: gw ? undefined : String(failure) });
        throw failure;
      }
      // Out of time: a timeout then is the deadline's, whatever the attempt's own limit was.
      const outOfTime = () => {
        opts.logger.warn("bedrock attempt failed; no time left to retry", { ...log, retry });
        return gw?.code === "upstream_timeout" ? deadlineError(opts.deadlineMs, attempt) : failure;
      };
      if (left <= 1) throw outOfTime();
      if (next === index) retriedSame.add(index);
      if (tried.has(next)) {
        const wait = backoffDelay(backoffs++, opts.random, opts.backoff ?? DEFAULT_BACKOFF);
        if (wait >= left) throw outOfTime();
        opts.logger.info("bedrock attempt failed; retrying", { ...log, retry, next: targets[next]!.modelId, waitMs: wait });
        await opts.sleep(wait, hooks.signal);
      } else {
        opts.logger.info("bedrock attempt failed; trying the next target", { ...log, retry, next: targets[next]!.modelId });
      }
      index = next;
    }
  }

  return { run, breakerState: (t) => breakers.state(keyOf(t)) };
}

function deadlineError(ms: number, attempts: number): GatewayError {
  return new GatewayError({
    status: 504,
    type: "timeout_error",
    code: "upstream_timeout",
    message: `Bedrock did not answer within ${ms} ms (${attempts} attempt${attempts === 1 ? "" : "s"}).`,
  });
}

/** A sleep that ends early, with the client's abort, when the client goes away. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError(signal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
