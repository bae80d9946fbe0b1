/**
 * A circuit breaker per target and gateway instance, as a pure state machine over an injected clock:
 *   closed    counts consecutive failures; `threshold` of them open it;
 *   open      the target is skipped until `coolDownMs` have passed;
 *   half-open one request may probe it: success closes it, failure opens it again. A probe that never reports
 *             (its client went away) stops blocking others after another `coolDownMs`.
 * Only failures that say something about the target count (throttling, 5xx, timeouts, network); a request's own
 * faults (validation, access) and client aborts are neutral.
 */
export type BreakerPolicy = { threshold: number; coolDownMs: number };

export const DEFAULT_BREAKER: BreakerPolicy = { threshold: 5, coolDownMs: 30_000 };

export type BreakerState = { status: "closed"; failures: number } | { status: "open"; until: number } | { status: "half-open"; probeSince: number | null };

export const CLOSED: BreakerState = { status: "closed", failures: 0 };

/** Whether a request may use the target now, and the state after asking (a granted probe is recorded). */
export function breakerAcquire(state: BreakerState, now: number, policy: BreakerPolicy): { allowed: boolean; state: BreakerState } {
  switch (state.status) {
    case "closed":
      return { allowed: true, state };
    case "open":
      if (now < state.until) return { allowed: false, state };
      return { allowed: true, state: { status: "half-open", probeSince: now } };
    case "half-open":
      if (state.probeSince !== null && now - state.probeSince < policy.coolDownMs) return { allowed: false, state };
      return { allowed: true, state: { status: "half-open", probeSince: now } };
  }
}

/** Whether the target would be allowed, without taking a probe (for choosing among targets). */
export function breakerAvailable(state: BreakerState, now: number, policy: BreakerPolicy): boolean {
  return breakerAcquire(state, now, policy).allowed;
}

export function breakerSuccess(_state: BreakerState): BreakerState {
  return CLOSED;
}

export function breakerFailure(state: BreakerState, now: number, policy: BreakerPolicy): BreakerState {
  switch (state.status) {
    case "closed": {
      const failures = state.failures + 1;
      return failures >= policy.threshold ? { status: "open", until: now + policy.coolDownMs } : { status: "closed", failures };
    }
    case "open":
      return state;
    case "half-open":
      return { status: "open", until: now + policy.coolDownMs };
  }
}

/** An outcome that says nothing about the target: a probe in flight is released, counts are kept. */
export function breakerNeutral(state: BreakerState): BreakerState {
  return state.status === "half-open" ? { status: "half-open", probeSince: null } : state;
}

/** The breakers of one gateway instance, keyed by target. */
export function createBreakers(now: () => number, policy: BreakerPolicy = DEFAULT_BREAKER) {
  const states = new Map<string, BreakerState>();
  const get = (key: string) => states.get(key) ?? CLOSED;
  const set = (key: string, s: BreakerState) => {
    if (s.status === "closed" && s.failures === 0) states.delete(key);
    else states.set(key, s);
  };
  return {
    available: (key: string) => breakerAvailable(get(key), now(), policy),
    acquire(key: string): boolean {
      const r = breakerAcquire(get(key), now(), policy);
      set(key, r.state);
      return r.allowed;
    },
    success: (key: string) => set(key, breakerSuccess(get(key))),
    failure: (key: string) => set(key, breakerFailure(get(key), now(), policy)),
    neutral: (key: string) => set(key, breakerNeutral(get(key))),
    state: get,
  };
}

export type Breakers = ReturnType<typeof createBreakers>;
