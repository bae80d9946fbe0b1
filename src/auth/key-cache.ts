import type { Clock } from "../deps";
import type { ApiKeyRecord } from "../db/keys";

/**
 * Caches key lookups by hash for a short time, so a busy key costs no database round trip per request.
 * A revoked key is refused at the latest `ttlMs` after revocation; unknown hashes are not cached, so a new key works at once.
 */
export function cachedKeyLookup<A extends unknown[]>(
  find: (hash: string, ...rest: A) => Promise<ApiKeyRecord | null>,
  opts: { ttlMs: number; clock: Clock; maxEntries?: number },
): (hash: string, ...rest: A) => Promise<ApiKeyRecord | null> {
  if (opts.ttlMs <= 0) return find;
  const max = opts.maxEntries ?? 10_000;
  const entries = new Map<string, { key: ApiKeyRecord; at: number }>();
  return async (hash, ...rest) => {
    const now = opts.clock.now();
    const hit = entries.get(hash);
    if (hit && now - hit.at < opts.ttlMs) return hit.key;
    const key = await find(hash, ...rest);
    entries.delete(hash);
    if (key) {
      entries.set(hash, { key, at: now });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    }
    return key;
  };
}
