import type { Db } from "../db/client";
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
 */
export function databaseCatalogue(opts: { ttlMs: number; now: () => number; logger: Logger }): CatalogueSource {
  let cached: { at: number; catalogue: Catalogue } | null = null;
  let loading: Promise<Catalogue> | null = null;
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
      if (cached && (opts.ttlMs <= 0 || opts.now() - cached.at < opts.ttlMs)) return cached.catalogue;
      if (!loading) {
        const gen = generation;
        loading = load(db, gen).finally(() => {
          loading = null;
        });
      }
      return loading;
    },
    invalidate() {
      generation++;
      cached = null;
    },
  };
}
