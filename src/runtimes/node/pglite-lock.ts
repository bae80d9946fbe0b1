// PGlite has no lock of its own: two processes opening one data folder corrupt it. The process that opens
// the folder writes DATA_DIR/pglite.lock (pid + host); a gateway that serves the folder over pglite-socket also
// writes DATA_DIR/pglite.url, so the CLI (and psql) can reach the data through it instead of opening the folder.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

export type FolderHolder = { pid: number; host: string; url?: string };

export const pgliteDataPath = (dataDir: string) => path.join(dataDir, "pglite");
const lockPath = (dataDir: string) => path.join(dataDir, "pglite.lock");
const urlPath = (dataDir: string) => path.join(dataDir, "pglite.url");

// Folders this process holds: a lock file with our own pid is ours only if it is listed here
// (otherwise it is left over from an earlier process that had the same pid, e.g. pid 1 in a restarted container).
const heldHere = new Set<string>();

/**
 * Takes the folder lock. Returns a release function, or the live holder when another process has it.
 * A lock left by a process that is gone (same host, dead pid, or our own pid after a container restart) is taken over.
 */
export function tryLockPgliteFolder(dataDir: string): { release: () => void } | { holder: FolderHolder } {
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockPath(dataDir), `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`, { flag: "wx" });
      const held = path.resolve(dataDir);
      heldHere.add(held);
      return {
        release: () => {
          heldHere.delete(held);
          rmSync(urlPath(dataDir), { force: true });
          rmSync(lockPath(dataDir), { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = readHolder(dataDir);
    if (holder && isAlive(holder, dataDir)) return { holder };
    rmSync(urlPath(dataDir), { force: true });
    rmSync(lockPath(dataDir), { force: true });
  }
  const holder = readHolder(dataDir);
  return { holder: holder ?? { pid: 0, host: "unknown" } };
}

export function writePgliteUrl(dataDir: string, url: string): void {
  writeFileSync(urlPath(dataDir), `${url}\n`, { mode: 0o600 });
}

export function removePgliteUrl(dataDir: string): void {
  rmSync(urlPath(dataDir), { force: true });
}

function readHolder(dataDir: string): FolderHolder | undefined {
  let lock: { pid?: unknown; host?: unknown };
  try {
    lock = JSON.parse(readFileSync(lockPath(dataDir), "utf8"));
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
  if (typeof lock.pid !== "number") return undefined;
  let url: string | undefined;
  try {
    url = readFileSync(urlPath(dataDir), "utf8").trim() || undefined;
  } catch {
    url = undefined;
  }
  return { pid: lock.pid, host: typeof lock.host === "string" ? lock.host : "unknown", url };
}

function isAlive(holder: FolderHolder, dataDir: string): boolean {
  // Another host (e.g. a container sharing the volume): we cannot see its processes, so assume it is alive.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(path.resolve(dataDir));
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
