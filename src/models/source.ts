import type { Db } from "../db/client";
import { rootMessage, withDeadline } from "../db/deadline";
import { listModelRows } from "../db/models";
import type { Logger } from "../logger";
import { catalogueFromRows, defaultModelRows, type Catalogue } from "./catalogue";

/** Where requests get the catalogue: loaded from the `models` table, kept until an admin change or `ttlMs`. */
export type CatalogueSource = {
  get(db: Db): Promise<Catalogue>;
  /** Drop the cached catalogue (an admin changed the table: LISTEN/NOTIFY). */
  invalidate(): void;
};

/** A catalogue that never changes (tests). */
export function fixedCatalogue(catalogue: Catalogue): CatalogueSource {
  return { get: async () => catalogue, invalidate() {} };
}

/**
 * Loads the table once and shares it; concurrent first requests share one query. An empty table (a database that
 * `migrate` has not seeded yet) serves the built-in seed, with a warning, rather than no models at all.
 *
 * The database may be down when the TTL runs out: a reload then has `deadlineMs` to answer, and if it fails or is
 * still waiting, the last catalogue loaded keeps serving (it was right when the TTL started; an admin change
 * meanwhile needs the database anyway) and the reload is tried again `retryMs` later. Without a catalogue yet, a
 * request waits at most `deadlineMs` and an unreachable database answers 503 (DatabaseUnavailableError), not 500.
 */
export function databaseCatalogue(opts: { ttlMs: number; now: () => number; logger: Logger; deadlineMs?: number; retryMs?: number }): CatalogueSource {
  const deadlineMs = opts.deadlineMs ?? 2_000;
  const retryMs = opts.retryMs ?? 1_000;
  let cached: { at: number; catalogue: Catalogue } | null = null;
  let loading: { promise: Promise<Catalogue>; since: number } | null = null;
  let retryAt = 0;
  let generation = 0;
  const load = async (db: Db, gen: number) => {
    const rows = await listModelRows(db);
    if (rows.length === 0) opts.logger.warn("the models table is empty: serving the built-in catalogue (run `bedrock-gateway migrate` to seed it)");
    const catalogue = catalogueFromRows(rows.length > 0 ? rows : defaultModelRows());
    if (gen === generation) cached = { at: opts.now(), catalogue };
    return catalogue;
  };
  return {
    async get(db) {
      const now = opts.now();
      if (cached && (opts.ttlMs <= 0 || now - cached.at < opts.ttlMs)) return cached.catalogue;
      const stale = cached;
      // A reload that never answered (a stalled connection) is not waited for forever: the next one asks again.
      if (loading && now - loading.since >= deadlineMs + retryMs) loading = null;
      // A reload failed lately, or is taking longer than the deadline: the last catalogue serves meanwhile.
      if (stale && (now < retryAt || (loading && now - loading.since >= deadlineMs))) return stale.catalogue;
      if (!loading) {
        const gen = generation;
        const current: { promise: Promise<Catalogue>; since: number } = {
          since: now,
          promise: load(db, gen).finally(() => {
            if (loading === current) loading = null;
          }),
        };
        loading = current;
      }
      try {
        return await withDeadline(loading.promise, deadlineMs);
      } catch (err) {
        if (!stale) throw err;
        retryAt = opts.now() + retryMs;
        opts.logger.warn("model catalogue reload failed: serving the last one loaded", { error: rootMessage(err) });
        return stale.catalogue;
      }
    },
    invalidate() {
      generation++;
      cached = null;
    },
  };
}
