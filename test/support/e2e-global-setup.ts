/**
 * Global setup of the e2e projects: builds dist/, starts the Bedrock simulator and one gateway process on
 * the project's runtime (node, bun, workerd; node-pglite uses embedded PGlite instead of Postgres),
 * and hands the URLs to the tests through `inject`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { SIM_CREDENTIALS, startSimulator } from "../../sim/server";
import { ensureTestDatabase, testDatabaseUrl } from "./db";
import { ROOT, startGatewayProcess, type Runtime } from "./gateway-process";

export type E2EContext = { runtime: string; baseURL: string; gatewayURL: string; simURL: string; databaseUrl: string; database: "postgres" | "pglite" };

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
  });

  return async () => {
    const code = await gateway.stop("SIGTERM");
    try {
      assertNothingSensitiveLogged(gateway.logs());
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

/** Prompts the e2e suite sends (and the simulator echoes); none may reach the gateway's logs, nor may any key. */
const PROMPTS = ["Hello gateway", "Stream this please", "What is the weather in Paris", "Invent a person", "Think, then call get_weather", "during the outage"];

function assertNothingSensitiveLogged(logs: string): void {
  const key = /bgw_live_[0-9A-Za-z]{32,}/.exec(logs);
  if (key) throw new Error(`an API key reached the gateway's logs: ${key[0].slice(0, 15)}…`);
  for (const p of PROMPTS) if (logs.includes(p)) throw new Error(`a prompt reached the gateway's logs: "${p}"`);
  if (logs.includes("You said:")) throw new Error("a completion reached the gateway's logs");
}
