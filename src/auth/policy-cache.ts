import type { Clock } from "../deps";
import type { Policy } from "../policy/limits";

type Policies = { userPolicy: Policy | null; teamPolicy: Policy | null };

/**
 * Caches the user and team policies of JWT callers briefly (keys carry theirs in the key lookup); concurrent
 * lookups of one pair share a query, and `clear()` drops everything when an admin changes a policy.
 */
export function cachedPolicyLookup(
  find: (user: string, team: string | null, env: unknown) => Promise<Policies>,
  opts: { ttlMs: number; clock: Clock; maxEntries?: number },
): ((user: string, team: string | null, env: unknown) => Promise<Policies>) & { clear(): void } {
  const max = opts.maxEntries ?? 10_000;
  const entries = new Map<string, { at: number; value: Promise<Policies> }>();
  const lookup = (user: string, team: string | null, env: unknown) => {
    const k = `${user}\u0000${team ?? ""}`;
    const now = opts.clock.now();
    const hit = entries.get(k);
    if (hit && now - hit.at < opts.ttlMs) return hit.value;
    const value = find(user, team, env);
    if (opts.ttlMs > 0) {
      entries.set(k, { at: now, value });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
      value.catch(() => entries.delete(k));
    }
    return value;
  };
  return Object.assign(lookup, { clear: () => entries.clear() });
}
