import type { Clock } from "../deps";

/** A key lookup by hash, with the cache's invalidation hooks (for key changes announced by the database). */
export type KeyLookup<R, A extends unknown[]> = ((hash: string, ...rest: A) => Promise<R | null>) & {
  /** Drops every entry: the next lookup of any key asks the database. */
  clear(): void;
  /** Drops one hash's entry, found or missing (a key created, revoked or changed). */
  forget(hash: string): void;
};

export type KeyCacheOptions = {
  /** How long a found key is kept; a revoked key is refused at the latest this long after revocation. 0: not kept. */
  ttlMs: number;
  /** How long "no such key" is kept; a key created meanwhile waits at most this long. Capped at ttlMs. */
  missTtlMs?: number;
  clock: Clock;
  maxEntries?: number;
  maxMisses?: number;
  /**
   * A found key looked up when its entry is at least this old (and not yet `ttlMs`) is answered from the cache and
   * read again in the background, so a busy key never waits on the database when its entry would have expired.
   * 0 or absent: entries are only read again once expired.
   */
  refreshAfterMs?: number;
  /** Keeps a background read alive past the request that started it (the runtime's waitUntil). */
  keepAlive?: (work: Promise<unknown>, ...rest: unknown[]) => void;
};

/**
 * Caches key lookups by hash, so a busy key costs no database round trip per request. Concurrent lookups of one
 * hash share one query, and a miss is kept briefly too: a flood of random well-formed tokens costs at most one
 * query per distinct token per `missTtlMs`, and found keys are kept apart from misses, so the flood cannot evict
 * them. Errors are not cached. A lookup that was in flight when its entry was forgotten is not cached either,
 * as it may have read the key before the change.
 */
export function cachedKeyLookup<R, A extends unknown[]>(find: (hash: string, ...rest: A) => Promise<R | null>, opts: KeyCacheOptions): KeyLookup<R, A> {
  const ttl = Math.max(0, opts.ttlMs);
  const missTtl = Math.min(ttl, opts.missTtlMs ?? 1_000);
  const found = new BoundedTtlMap<R>(opts.maxEntries ?? 10_000);
  const missing = new BoundedTtlMap<true>(opts.maxMisses ?? 10_000);
  const inFlight = new Map<string, Promise<R | null>>();
  // A lookup started before a clear() or a forget() of its hash may have read the old row: it fills no entry.
  let generation = 0;
  let clearedAt = 0;
  const forgottenAt = new Map<string, number>();

  const refreshAfter = opts.refreshAfterMs !== undefined && opts.refreshAfterMs > 0 && opts.refreshAfterMs < ttl ? opts.refreshAfterMs : 0;

  /** One query for `hash`, shared by whoever asks meanwhile; its answer replaces the entry unless it was forgotten. */
  const read = (hash: string, rest: A): Promise<R | null> => {
    const startedAt = generation;
    const query: Promise<R | null> = find(hash, ...rest).then(
      (record) => {
        if (inFlight.get(hash) === query) inFlight.delete(hash);
        if (clearedAt > startedAt || (forgottenAt.get(hash) ?? -1) > startedAt) return record;
        const at = opts.clock.now();
        if (record !== null && ttl > 0) found.set(hash, record, at, ttl);
        else {
          found.delete(hash);
          if (record === null && missTtl > 0) missing.set(hash, true, at, missTtl);
        }
        return record;
      },
      (err: unknown) => {
        if (inFlight.get(hash) === query) inFlight.delete(hash);
        throw err;
      },
    );
    inFlight.set(hash, query);
    return query;
  };

  const lookup = (hash: string, ...rest: A): Promise<R | null> => {
    const now = opts.clock.now();
    const hit = found.get(hash, now, ttl);
    if (hit !== undefined) {
      if (refreshAfter > 0 && now - hit.at >= refreshAfter && !inFlight.has(hash)) {
        // A failed background read changes nothing: the entry still expires at its ttl.
        const work = read(hash, rest).catch(() => null);
        opts.keepAlive?.(work, ...rest);
      }
      return Promise.resolve(hit.value);
    }
    if (missing.get(hash, now, missTtl) !== undefined) return Promise.resolve(null);
    return inFlight.get(hash) ?? read(hash, rest);
  };

  return Object.assign(lookup, {
    clear() {
      found.clear();
      missing.clear();
      inFlight.clear();
      forgottenAt.clear();
      clearedAt = ++generation;
    },
    forget(hash: string) {
      found.delete(hash);
      missing.delete(hash);
      inFlight.delete(hash);
      forgottenAt.set(hash, ++generation);
      // Bounded: past this many, forgetting everything is the safe approximation.
      if (forgottenAt.size > 10_000) {
        forgottenAt.clear();
        clearedAt = generation;
      }
    },
  });
}

/**
 * Entries in insertion order, which is also expiry order (one ttl per map): expired entries are dropped from the
 * front as new ones come in, and past `max` the oldest goes.
 */
class BoundedTtlMap<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  constructor(private readonly max: number) {}

  /** The live entry for `key` (its value and when it was stored), or undefined. */
  get(key: string, now: number, ttl: number): { value: V; at: number } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.at < ttl) return e;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number, ttl: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.max && now - e.at < ttl) break;
      this.entries.delete(k);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
