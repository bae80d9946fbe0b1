/**
 * Global setup of the e2e projects: builds dist/, starts the Bedrock simulator and one gateway process on
 * the project's runtime (node, bun, workerd; node-pglite uses embedded PGlite instead of Postgres),
 * and hands the URLs to the tests through `inject`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { SIM_CREDENTIALS, startSimulator } from "../../sim/server";
import postgres from "postgres";
import { costMicros } from "../../src/usage/cost";
import { ensureTestDatabase, testDatabaseUrl } from "./db";
import { ROOT, startGatewayProcess, type Runtime } from "./gateway-process";

export type E2EContext = {
  runtime: string;
  baseURL: string;
  gatewayURL: string;
  simURL: string;
  databaseUrl: string;
  database: "postgres" | "pglite";
  /** The gateway's ADMIN_TOKEN: the console at /admin is on for the whole suite (test/e2e/admin.test.ts). */
  adminToken: string;
  /** The gateway's KEY_CACHE_TTL_MS: how late a revocation may reach a runtime that cannot hear change notices. */
  keyCacheTtlMs: number;
};

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EContext;
    runtime: string;
  }
}

export default async function setup(project: TestProject) {
  const name = project.name.replace(/^e2e-/, "");
  const pglite = name.endsWith("-pglite");
  const runtime = name.replace(/-pglite$/, "") as Runtime;

  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  const sim = await startSimulator({ port: 0, credentials: [SIM_CREDENTIALS] });

  let dataDir: string | null = null;
  let databaseUrl: string;
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
    AWS_ENDPOINT_URL_BEDROCK: sim.url,
    AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    // Everything the gateway can log is logged, and checked at teardown for keys and prompts.
    LOG_LEVEL: "debug",
    LIST_BEDROCK_MODELS: "true",
    STREAM_IDLE_TIMEOUT_MS: "3000",
    UPSTREAM_TIMEOUT_MS: "5000",
    SHUTDOWN_TIMEOUT_MS: "5000",
    // The console on, with a token of this run only (checked at teardown never to reach the logs).
    ADMIN_TOKEN: `e2e-admin-${randomBytes(18).toString("base64url")}`,
    KEY_CACHE_TTL_MS: "10000",
  };
  if (pglite) {
    dataDir = mkdtempSync(path.join(tmpdir(), "bgw-e2e-pglite-"));
    env.DATA_DIR = dataDir;
  } else {
    await ensureTestDatabase();
    databaseUrl = testDatabaseUrl();
    env.DATABASE_URL = databaseUrl;
    if (runtime === "workerd") {
      // The Worker never migrates: apply them first, as the README tells operators to.
      execFileSync(process.execPath, ["dist/cli.js", "migrate"], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: "inherit" });
    }
  }

  const gateway = await startGatewayProcess(runtime, env);
  if (pglite) {
    const urlFile = path.join(dataDir!, "pglite.url");
    if (!existsSync(urlFile)) throw new Error(`the PGlite gateway did not write ${urlFile}`);
    databaseUrl = readFileSync(urlFile, "utf8").trim();
  }

  project.provide("e2e", {
    runtime: project.name,
    baseURL: `${gateway.url}/v1`,
    gatewayURL: gateway.url,
    simURL: sim.url,
    databaseUrl: databaseUrl!,
    database: pglite ? "pglite" : "postgres",
    adminToken: env.ADMIN_TOKEN,
    keyCacheTtlMs: Number(env.KEY_CACHE_TTL_MS),
  });

  const suiteStarted = new Date();
  return async () => {
    // Every request the suite made is billed exactly: the row's cost is its tokens × the prices it records.
    await assertExactCosts(databaseUrl!, suiteStarted).catch((err) => {
      console.error(`${project.name}: ${(err as Error).message}`);
      process.exitCode = 1;
    });
    const code = await gateway.stop("SIGTERM");
    try {
      assertNothingSensitiveLogged(gateway.logs(), env.ADMIN_TOKEN);
    } catch (err) {
      // vitest reports a teardown error without failing the run: fail it explicitly.
      console.error(`${project.name}: ${(err as Error).message}`);
      process.exitCode = 1;
      throw err;
    }
    await sim.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (code !== 0 && code !== null && runtime !== "workerd") {
      throw new Error(`${runtime} gateway exited with ${code} on SIGTERM\n${gateway.logs().slice(-3000)}`);
    }
  };
}

type CostRow = {
  request_id: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: string;
  cost_known: boolean;
  price: { input: number; output: number; cacheRead?: number; cacheWrite?: number } | null;
};

async function assertExactCosts(url: string, since: Date): Promise<void> {
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  try {
    const rows = await sql<
      CostRow[]
    >`select request_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros::text, cost_known, price
      from usage_events where created_at >= ${since} and user_email like '%@test.local'`;
    let priced = 0;
    for (const r of rows) {
      const u = { inputTokens: r.input_tokens, outputTokens: r.output_tokens, cacheReadTokens: r.cache_read_tokens, cacheWriteTokens: r.cache_write_tokens };
      const expected = r.price ? costMicros(u, { price: r.price }) : 0;
      if (Number(r.cost_micros) !== expected) throw new Error(`usage row ${r.request_id}: cost ${r.cost_micros} µ$, tokens × price = ${expected} µ$`);
      if (r.price) priced++;
    }
    if (priced === 0) throw new Error("no priced usage rows from the e2e suite");
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Prompts the e2e suite sends (and the simulator echoes); none may reach the gateway's logs, nor may any key. */
const PROMPTS = ["Hello gateway", "Stream this please", "What is the weather in Paris", "Invent a person", "Think, then call get_weather", "during the outage"];

function assertNothingSensitiveLogged(logs: string, adminToken: string): void {
  if (logs.includes(adminToken)) throw new Error("the admin token reached the gateway's logs");
  const key = /bgw_live_[0-9A-Za-z]{32,}/.exec(logs);
  if (key) throw new Error(`an API key reached the gateway's logs: ${key[0].slice(0, 15)}…`);
  for (const p of PROMPTS) if (logs.includes(p)) throw new Error(`a prompt reached the gateway's logs: "${p}"`);
  if (logs.includes("You said:")) throw new Error("a completion reached the gateway's logs");
}
