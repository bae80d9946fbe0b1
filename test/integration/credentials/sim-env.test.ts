/** `npm run sim` prints an env block; pasted as printed, it points a real gateway process at the simulator. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { randomId, systemClock } from "../../../src/deps";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess } from "../../support/gateway-process";
import { isolatedEnv } from "./fakes";

let sim: ChildProcess;
let banner = "";
let tdb: Awaited<ReturnType<typeof openTestPostgres>>;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  tdb = await openTestPostgres();
  sim = spawn(process.execPath, ["dist/sim.js"], { cwd: ROOT, env: { PATH: process.env.PATH, SIM_PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no env block from the simulator:\n${banner}`)), 20_000);
    sim.stdout!.on("data", (d) => {
      banner += d;
      if (banner.includes("unset AWS_SESSION_TOKEN")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
});

afterAll(async () => {
  sim?.kill("SIGTERM");
  await tdb?.close();
});

describe("npm run sim", () => {
  it("prints export lines for the endpoint, the key pair and the region", () => {
    const exports = banner.split("\n").filter((l) => l.startsWith("export "));
    expect(exports.map((l) => l.slice(7).split("=")[0])).toEqual([
      "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
      "AWS_ENDPOINT_URL_BEDROCK",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_REGION",
    ]);
  });

  it("those lines point a gateway at it", async () => {
    const env: Record<string, string> = {};
    for (const line of banner.split("\n")) {
      const m = /^export ([A-Z_]+)=(\S+)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    const gw = await startGatewayProcess("node", {
      ...(isolatedEnv() as Record<string, string>),
      ...env,
      DATABASE_URL: testDatabaseUrl(),
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "warn",
    });
    try {
      const key = await createKey(tdb.db, { user: `sim-env-${randomId(6)}@test.local` }, systemClock);
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hello" }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    } finally {
      await gw.stop("SIGKILL");
    }
  });
});
