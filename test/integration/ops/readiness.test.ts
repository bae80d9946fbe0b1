/**
 * /readyz: ready only with a reachable database and, where the runtime looks AWS credentials up itself, usable
 * credentials. In-process for each combination, and a real Node process that finds no credentials at all.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { dbFromPostgresJs } from "../../../src/db/connect";
import type { Deps } from "../../../src/deps";
import { openTestPostgres, testDatabaseUrl, type TestDb } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess } from "../../support/gateway-process";
import { createHarness } from "../faults/app-harness";

let tdb: TestDb;
// A closed loopback port: every query fails at connect.
const deadDb = postgres("postgres://postgres@127.0.0.1:9/none", { max: 1, connect_timeout: 1, onnotice: () => {} });
beforeAll(async () => {
  tdb = await openTestPostgres();
});
afterAll(async () => {
  await tdb?.close();
  await deadDb.end({ timeout: 1 });
});

describe("/readyz in-process", () => {
  const appWith = (over: Partial<Deps>) => {
    const h = createHarness({ db: tdb.db });
    return createApp({ ...h.deps, ...over });
  };

  it.each<[string, Partial<Deps>, number, Record<string, unknown>]>([
    ["database and credentials", { readiness: { credentials: async () => true } }, 200, { status: "ok", database: "ok", credentials: "ok" }],
    ["no credentials", { readiness: { credentials: async () => false } }, 503, { status: "unavailable", database: "ok", credentials: "missing" }],
    [
      "a failing credentials lookup",
      { readiness: { credentials: () => Promise.reject(new Error("lookup failed")) } },
      503,
      { status: "unavailable", database: "ok", credentials: "missing" },
    ],
    ["a runtime that checks no credentials (Workers)", {}, 200, { status: "ok", database: "ok" }],
    [
      "an unreachable database",
      { db: dbFromPostgresJs(deadDb), readiness: { credentials: async () => true } },
      503,
      { status: "unavailable", database: "unreachable", credentials: "ok" },
    ],
  ])("%s", async (_name, over, status, body) => {
    const res = await appWith(over).request("/readyz");
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
  });
});

describe("/readyz of a Node gateway without AWS credentials", () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    gw = await startGatewayProcess("node", {
      DATABASE_URL: testDatabaseUrl(),
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "warn",
      // Nothing to find: no keys, an empty home (no profiles), no web identity or container, no instance metadata.
      HOME: mkdtempSync(path.join(tmpdir(), "bgw-readyz-")),
      AWS_EC2_METADATA_DISABLED: "true",
    });
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  it("serves /healthz but is not ready", async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const res = await fetch(`${gw.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", database: "ok", credentials: "missing" });
  });
});
