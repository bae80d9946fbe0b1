/**
 * Which target an attempt goes to, pure: the first available target to start, and after a failure the same target
 * once more (transient faults) or the next one in order, wrapping around, so a model with one target retries it
 * and one with several moves on. Targets whose breaker is open are passed over unless no target is available,
 * when order alone decides (trying a target is better than refusing without trying).
 */
import type { RetryClass } from "./classify";

export type Selection = {
  /** How many targets the model has (at least 1). */
  count: number;
  /** Whether target i may be used now (its breaker is not open). */
  available: (i: number) => boolean;
};

export function firstTarget(s: Selection): number {
  for (let i = 0; i < s.count; i++) if (s.available(i)) return i;
  return 0;
}

/**
 * The target after a failure of `current` with class `retry`, or null when the failure must not be retried.
 * `retriedSame` holds the targets that already had their one same-target retry in this request.
 */
export function nextTarget(s: Selection & { current: number; retry: RetryClass; retriedSame: ReadonlySet<number> }): number | null {
  if (s.retry === "never") return null;
  if (s.retry === "same" && !s.retriedSame.has(s.current) && s.available(s.current)) return s.current;
  for (let step = 1; step <= s.count; step++) {
    const i = (s.current + step) % s.count;
    if (s.available(i)) return i;
  }
  return (s.current + 1) % s.count;
}

/** The region an attempt is signed for and sent to: the target's, an ARN's own, or the gateway's default. */
export function targetRegion(target: { modelId: string; region: string | null }, defaultRegion: string): string {
  if (target.region) return target.region;
  // Inference profile and foundation-model ARNs name their region; Bedrock serves them only there.
  const arn = /^arn:aws(?:-[a-z-]+)?:bedrock:([a-z]{2}(?:-[a-z]+)+-\d+):/.exec(target.modelId);
  return arn?.[1] ?? defaultRegion;
}
