/**
 * A DATABASE_URL that cannot work fails at once with one line naming DATABASE_URL (password masked) and the fix,
 * on the gateway (`node dist/node.js`) and the CLI (`node bin/bedrock-gateway.js`), against the real local
 * PostgreSQL. Only an unreachable server is waited for (DB_CONNECT_TIMEOUT_MS).
 */
import { execFileSync, spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { randomId } from "../../../src/deps";
import { ensureTestDatabase, testDatabaseUrl } from "../../support/db";
import { ROOT } from "../../support/gateway-process";

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  await ensureTestDatabase();
});

type Run = { code: number | null; stdout: string; stderr: string; ms: number };

function run(args: string[], env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent", PORT: "0", HOST: "127.0.0.1", AWS_EC2_METADATA_DISABLED: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const base = new URL(testDatabaseUrl());
const url = (change: (u: URL) => void) => {
  const u = new URL(base);
  change(u);
  return u.toString();
};
const missingDb = `bgw_missing_${randomId(8).toLowerCase()}`;
const missingRole = `bgw_ghost_${randomId(8).toLowerCase()}`;

const cases: { name: string; databaseUrl: string; line: RegExp; secret?: string }[] = [
  {
    name: "a database that does not exist",
    databaseUrl: url((u) => (u.pathname = `/${missingDb}`)),
    line: new RegExp(
      `DATABASE_URL postgres://[^ ]*/${missingDb}: database "${missingDb}" does not exist \\(3D000\\)\\. Create the database or correct its name in DATABASE_URL\\.$`,
    ),
  },
  {
    name: "a role that does not exist",
    databaseUrl: url((u) => ((u.username = missingRole), (u.password = "s3cret-pw"))),
    line: new RegExp(`DATABASE_URL postgres://${missingRole}:\\*\\*\\*@[^ ]+: role "${missingRole}" does not exist \\(28000\\)\\. Create the role`),
    secret: "s3cret-pw",
  },
  {
    name: "a malformed URL",
    databaseUrl: "postgres://gateway:s3cret-pw@127.0.0.1:99999/gateway",
    line: /DATABASE_URL is not a valid PostgreSQL URL: it cannot be parsed as a URL \(got postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:99999\/gateway\)\. Use postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE/,
    secret: "s3cret-pw",
  },
  {
    name: "a bad %-escape in the password",
    databaseUrl: "postgres://gateway:50%off@127.0.0.1:5432/gateway",
    line: /DATABASE_URL is not a valid PostgreSQL URL: a % in it is not followed by two hexadecimal digits \(got postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:5432\/gateway\)/,
    secret: "50%off",
  },
  {
    name: "another scheme",
    databaseUrl: "mysql://gateway:s3cret-pw@127.0.0.1:3306/gateway",
    line: /DATABASE_URL is not a valid PostgreSQL URL: it must start with postgres:\/\/ or postgresql:\/\//,
    secret: "s3cret-pw",
  },
];

describe.each(cases)("DATABASE_URL with $name", ({ databaseUrl, line, secret }) => {
  const check = (r: Run, prefix: string) => {
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith(prefix), lines[0]).toBe(true);
    expect(lines[0]).toMatch(line);
    expect(r.stdout).not.toContain("waiting for the database");
    if (secret) expect(r.stderr + r.stdout).not.toContain(secret);
    // Nothing waited for DB_CONNECT_TIMEOUT_MS (30 s by default).
    expect(r.ms).toBeLessThan(8000);
  };

  it("stops the gateway at once with one line", async () => {
    check(await run(["dist/node.js"], { DATABASE_URL: databaseUrl, LOG_LEVEL: "info" }), "bedrock-gateway failed to start: DATABASE_URL ");
  });

  it("stops the gateway at once with MIGRATE_ON_START=false too", async () => {
    check(await run(["dist/node.js"], { DATABASE_URL: databaseUrl, MIGRATE_ON_START: "false" }), "bedrock-gateway failed to start: DATABASE_URL ");
  });

  it("stops the CLI at once with one line", async () => {
    check(await run(["bin/bedrock-gateway.js", "keys", "list"], { DATABASE_URL: databaseUrl }), "bedrock-gateway: DATABASE_URL ");
  });
});

describe("an unreachable server", () => {
  it("is still waited for, DB_CONNECT_TIMEOUT_MS long", async () => {
    const r = await run(["dist/node.js"], { DATABASE_URL: "postgres://postgres:pw@127.0.0.1:9/none", DB_CONNECT_TIMEOUT_MS: "1500", LOG_LEVEL: "warn" });
    expect(r.code).toBe(1);
    expect(r.ms).toBeGreaterThanOrEqual(1400);
    expect(r.stdout).toContain("waiting for the database");
    expect(r.stderr).toMatch(/failed to start: Cannot reach the database \(ECONNREFUSED/);
  });
});
