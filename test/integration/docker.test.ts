/**
 * The Docker image without Docker (no engine here): the Dockerfile is linted, then scripts/docker-mirror.mjs
 * replays its stages in a temp folder — a real `npm ci --omit=dev` from the lockfile, the same build, the
 * image's CMD with its ENV — and checks that the production install serves /healthz, passes the image's
 * HEALTHCHECK command, answers /v1/models with 401 without a key and exits 0 on SIGTERM.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/gateway-process";
import { ensureTestDatabase, testDatabaseUrl } from "../support/db";

const run = promisify(execFile);

async function node(script: string, args: string[] = []) {
  try {
    const { stdout } = await run(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("Dockerfile", () => {
  it("passes the linter and the image rules", async () => {
    const r = await node("scripts/dockerfile-lint.mjs");
    expect(r.stdout).toContain("no problems");
    expect(r.code).toBe(0);
  });

  it("requires the postgres.js patch after each `npm ci --ignore-scripts` (postinstall is skipped)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dockerfile-lint-"));
    try {
      const file = path.join(dir, "Dockerfile");
      const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
      expect(dockerfile.match(/^RUN node scripts\/patch-postgres\.mjs$/gm)).toHaveLength(2);
      writeFileSync(file, dockerfile.replace(/^RUN node scripts\/patch-postgres\.mjs\n/m, ""));
      const r = await node("scripts/dockerfile-lint.mjs", [file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/:\d+ postgres-patch: run `node scripts\/patch-postgres\.mjs` after `npm ci --ignore-scripts`/);
      expect(r.stdout.trim().split("\n")).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("builds and runs from a production-only install (mirrored without Docker)", { timeout: 90_000 }, async () => {
    await ensureTestDatabase();
    const r = await node("scripts/docker-mirror.mjs", ["--database-url", testDatabaseUrl()]);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    expect(summary.error, summary.output).toBeUndefined();
    expect(summary.checks).toMatchObject({
      noDevDependencies: { ok: true },
      healthz: { ok: true },
      // The image's own `npm ci --omit=dev --ignore-scripts` install, patched by its explicit RUN step.
      postgresPatched: {
        ok: true,
        copies: { "src/connection.js": "already-patched", "cjs/src/connection.js": "already-patched", "cf/src/connection.js": "already-patched" },
      },
      healthcheckCommand: { ok: true },
      modelsWithoutKey: { status: 401 },
      sigtermExit: { code: 0 },
    });
    expect(summary.ok).toBe(true);
    expect(r.code).toBe(0);
  });
});
