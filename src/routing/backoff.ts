/**
 * Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base · 2ⁿ)). Spreading retries
 * over the whole window keeps many gateways that were throttled together from retrying together
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/; the AWS SDKs' standard retry mode
 * does the same: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
export type BackoffPolicy = { baseMs: number; capMs: number };

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

/** Milliseconds to wait before retry `n` (0-based); `random` returns values in [0, 1) like Math.random. */
export function backoffDelay(n: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, n));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(Math.floor(r * ceiling), Math.max(0, ceiling - 1));
}
