/**
 * What a test file that starts gateway processes needs around them: `dist/` built (the processes run it), the
 * simulator accepting the file's credentials, and the migrated test database. Set up before the file's tests and
 * closed after them; read `bed.sim` and `bed.tdb` inside tests and hooks.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll } from "vitest";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../sim/server";
import { openTestPostgres } from "./db";
import { ROOT } from "./gateway-process";

export type ProcessBed = { readonly sim: Simulator; readonly tdb: Awaited<ReturnType<typeof openTestPostgres>> };

export function processTestBed(credentials: NonNullable<SimulatorOptions["credentials"]>): ProcessBed {
  const bed = {} as { sim: Simulator; tdb: Awaited<ReturnType<typeof openTestPostgres>> };
  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    bed.sim = await startSimulator({ port: 0, credentials });
    bed.tdb = await openTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await bed.tdb?.close();
    await bed.sim?.close();
  });
  return bed;
}
