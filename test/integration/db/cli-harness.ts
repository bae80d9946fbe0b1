// Runs the CLI in-process (runCli with captured output) against real Postgres or a PGlite folder held by a
// gateway-like owner that serves it on loopback, as a running gateway does; the test reads the same database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "../../../src/cli/main";
import { parseConfig } from "../../../src/config";
import type { Db } from "../../../src/db/client";
import { systemClock, type Clock } from "../../../src/deps";
import { silentLogger } from "../../../src/logger";
import { openDatabase } from "../../../src/runtimes/node/database";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";

export type Run = { code: number; stdout: string; stderr: string; lines: string[] };

export type CliBackend = {
  env: Record<string, string>;
  db: Db;
  close(): Promise<void>;
};

export async function runInProcess(args: string[], env: Record<string, string>, clock: Clock = systemClock, actor = "cli:test"): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env, io: { out: (l) => out.push(l), err: (l) => err.push(l) }, clock, actor });
  return { code, stdout: out.join("\n"), stderr: err.join("\n"), lines: out };
}

/** Both backends, for `describe.each(cliBackends)`; each is migrated with `bedrock-gateway migrate`. */
export const cliBackends = [
  {
    name: "postgres",
    async open(): Promise<CliBackend> {
      const t = await openTestPostgres();
      const env = { DATABASE_URL: testDatabaseUrl() };
      const migrated = await runInProcess(["migrate"], env);
      if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
      return { env, db: t.db, close: t.close };
    },
  },
  {
    name: "pglite",
    async open(): Promise<CliBackend> {
      const dataDir = mkdtempSync(path.join(tmpdir(), "bgw-cli-"));
      const owner = await openDatabase(parseConfig({ DATA_DIR: dataDir }), silentLogger, { serveSocket: true });
      const env = { DATA_DIR: dataDir };
      const migrated = await runInProcess(["migrate"], env);
      if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
      return {
        env,
        db: owner.db,
        async close() {
          await owner.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
] as const;
