/**
 * postgres.js 3.4.9 crashed the gateway during a database outage (once in seven `npm run soak` runs): a write smaller
 * than 1 KiB waits for setImmediate(nextWrite); once the connection has closed, `socket` is null and nextWrite's
 * `socket.write` throws from the timer, an uncaughtException that ends the process (porsager/postgres#1208, #1154,
 * #1066). scripts/patch-postgres.mjs patches the installed driver at install; this runs the outage, through a TCP
 * proxy in front of the real Postgres, in a child process against the installed driver and against a copy restored
 * to the pristine 3.4.9 files (test/fixtures/postgres-3.4.9/), which must still show the defect: that keeps the
 * scenario honest, and the patch's removal (or a release without the fix) fails here.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COPIES } from "../../../scripts/patch-postgres.mjs";
import { ensureTestDatabase, testDatabaseUrl } from "../../support/db";
import { ROOT } from "../../support/gateway-process";

const SCENARIO = path.join(ROOT, "test/integration/faults/postgres-null-socket-scenario.mjs");
const INSTALLED = path.join(ROOT, "node_modules/postgres");
let pristine = "";

beforeAll(async () => {
  await ensureTestDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), "postgres-pristine-"));
  pristine = path.join(dir, "postgres");
  cpSync(INSTALLED, pristine, { recursive: true });
  for (const copy of COPIES) writeFileSync(path.join(pristine, copy), readFileSync(path.join(ROOT, "test/fixtures/postgres-3.4.9", `${copy}.orig`)));
});
afterAll(() => {
  if (pristine) rmSync(path.dirname(pristine), { recursive: true, force: true });
});

type Outcome = { code: number | null; stdout: string; stderr: string; result?: Record<string, unknown> };
const BUN = path.join(ROOT, "node_modules/.bin/bun");
function scenario(packageDir: string, name: "reserve" | "begin" | "buffered", runtime: "node" | "bun" = "node"): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const command = runtime === "bun" ? BUN : process.execPath;
    const child = spawn(command, [SCENARIO, packageDir, testDatabaseUrl(), name], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").pop() ?? "";
      let result: Record<string, unknown> | undefined;
      try {
        result = JSON.parse(last);
      } catch {}
      resolve({ code, stdout, stderr, result });
    });
  });
}

const CRASH = /TypeError: Cannot read properties of null \(reading 'write'\)\n\s+at Immediate\.nextWrite \(.*\/src\/connection\.js:\d+:\d+\)/;

describe("postgres.js when the database connection is cut under a pinned connection", () => {
  it("a reserved connection's next query after the cut rejects CONNECTION_CLOSED instead of ending the process; the pool serves again", async () => {
    const patched = await scenario(INSTALLED, "reserve");
    expect(patched.stderr).not.toMatch(/TypeError|uncaught/i);
    expect(patched.code).toBe(0);
    expect(patched.result).toMatchObject({
      inFlight: "CONNECTION_CLOSED",
      next: "CONNECTION_CLOSED", // catchable, and settled: not left pending
      again: "CONNECTION_CLOSED",
      answeredAfterRestore: 5,
    });

    const unpatched = await scenario(pristine, "reserve");
    expect(unpatched.code).toBe(1);
    expect(unpatched.stderr).toMatch(CRASH);
    expect(unpatched.result).toBeUndefined();
  }, 60_000);

  it("a transaction cut mid-query rejects CONNECTION_CLOSED (its ROLLBACK write does not crash); the pool serves again", async () => {
    const patched = await scenario(INSTALLED, "begin");
    expect(patched.stderr).not.toMatch(/TypeError|uncaught/i);
    expect(patched.code).toBe(0);
    expect(patched.result).toMatchObject({ transaction: "CONNECTION_CLOSED", answeredAfterRestore: 5 });

    const unpatched = await scenario(pristine, "begin");
    expect(unpatched.code).toBe(1);
    expect(unpatched.stderr).toMatch(CRASH);
  }, 60_000);

  it("a connection that closes while a small write is buffered reconnects and answers (not poisoned until CONNECT_TIMEOUT)", async () => {
    const patched = await scenario(INSTALLED, "buffered");
    expect(patched.code).toBe(0);
    expect(patched.result).toMatchObject({ buffered: "CONNECTION_CLOSED", afterReconnect: "resolved" });

    // Unpatched, closed() cancels the immediate but keeps nextWriteTimer and the chunk: the reconnected connection's
    // StartupMessage is never written.
    const unpatched = await scenario(pristine, "buffered");
    expect(unpatched.code).toBe(0);
    expect(unpatched.result).toMatchObject({ buffered: "CONNECTION_CLOSED", afterReconnect: "CONNECT_TIMEOUT" });
  }, 60_000);

  it("on Bun too (it loads the same src/ copy): the cut reserved connection and transaction reject, and the process lives", async () => {
    for (const name of ["reserve", "begin"] as const) {
      const patched = await scenario(INSTALLED, name, "bun");
      expect(patched.stderr, name).not.toMatch(/TypeError/);
      expect(patched.code, name).toBe(0);
      expect(patched.result, name).toMatchObject({ answeredAfterRestore: 5 });
    }
    const unpatched = await scenario(pristine, "begin", "bun");
    expect(unpatched.code).toBe(1);
    expect(unpatched.stderr).toMatch(/TypeError: null is not an object \(evaluating 'socket\.write'\)\n\s+at nextWrite \(.*\/src\/connection\.js:\d+:\d+\)/);
  }, 60_000);
});
