import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readMigrationFiles, type MigrationMeta } from "drizzle-orm/migrator";

/**
 * The directory holding this package's package.json, found by walking up from `from`.
 * Works from the source tree (src/runtimes/node/) and from the bundles in dist/.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = path.dirname(from.startsWith("file:") ? fileURLToPath(from) : from);
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "migrations"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package root with a migrations/ folder above ${from}`);
    dir = parent;
  }
}

/** Reads drizzle-kit's SQL migrations (journal order). Defaults to <package root>/migrations. */
export function loadMigrations(folder: string = path.join(packageRoot(), "migrations")): MigrationMeta[] {
  return readMigrationFiles({ migrationsFolder: folder });
}
