/**
 * `npm run demo`: the gateway on 127.0.0.1:8080 with embedded PGlite (./data) and the built-in Bedrock
 * simulator as upstream, plus a demo key kept in data/demo-key (mode 0600) and reused on later runs, and the admin
 * console with a demo admin token (data/admin-token, or ADMIN_TOKEN) and a week of sample usage to look at.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SIM_CREDENTIALS, startSimulator } from "../../../sim/server";
import { hashApiKey } from "../../auth/api-key";
import { createKey, findKeyByHash } from "../../db/keys";
import type { Db } from "../../db/client";
import { randomId } from "../../deps";
import { bootOrExit, configOrExit } from "./boot";
import { seedSampleUsage } from "./demo-sample";
import { createNodeFetch } from "./http-fetch";
import { serveOnNode } from "./serve";

const DEMO_USER = "demo@example.com";

const sim = await startSimulator({ port: Number(process.env.SIM_PORT ?? 0), credentials: [SIM_CREDENTIALS] });
const adminToken =
  process.env.ADMIN_TOKEN || (await demoSecret(path.join(process.env.DATA_DIR ?? "./data", "admin-token"), () => `demo-admin-${randomId(32)}`));
const config = configOrExit({
  LOG_LEVEL: "warn",
  ...process.env,
  HOST: process.env.HOST ?? "127.0.0.1",
  DATABASE_URL: process.env.DEMO_DATABASE_URL ?? "",
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
  AWS_ENDPOINT_URL_BEDROCK: sim.url,
  AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: "",
  AWS_REGION: "us-east-1",
  ADMIN_TOKEN: adminToken,
});
const gw = await bootOrExit(config, { fetch: createNodeFetch() });
const key = await demoKey(gw.database.db, config.DATA_DIR);
const sampled = await seedSampleUsage(gw.database.db, Date.now());
const { url, stop } = await serveOnNode(gw, config.PORT, config.HOST);
process.once("SIGINT", () => void sim.close());
process.once("SIGTERM", () => void sim.close());
void stop;

const base = `${url}/v1`;
console.log(`
bedrock-gateway demo is running at ${url}
  upstream: the built-in Bedrock simulator (${sim.url})
  database: PGlite in ${path.resolve(config.DATA_DIR)}${gw.database.databaseUrl ? `\n  psql / CLI while running: DATABASE_URL=${gw.database.databaseUrl}` : ""}

Demo API key (also in ${path.join(config.DATA_DIR, "demo-key")}):
  ${key}

Try it:
  curl -N ${base}/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"Hello from the demo"}]}'

Point any OpenAI client at it:
  OPENAI_BASE_URL=${base}
  OPENAI_API_KEY=${key}

Admin console: ${url}/admin
  admin token (also in ${path.join(config.DATA_DIR, "admin-token")}): ${adminToken}
  ${sampled ? "added" : "shows"} a week of SAMPLE usage (teams sample-*, users @sample.example, keys named "sample data")

Press Ctrl+C to stop.
`);

async function demoKey(db: Db, dataDir: string): Promise<string> {
  const file = path.join(dataDir, "demo-key");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    const found = existing ? await findKeyByHash(db, await hashApiKey(existing)) : null;
    if (found && !found.revokedAt) return existing;
  } catch {
    // No key yet: create one below.
  }
  const created = await createKey(db, { user: DEMO_USER, team: "demo", name: "demo", actor: "demo" }, { now: () => Date.now() });
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${created.key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return created.key;
}

/** A secret kept in a file only its owner can read, made once and reused by later runs. */
async function demoSecret(file: string, make: () => string): Promise<string> {
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 16) return existing;
  } catch {
    // Not made yet.
  }
  const secret = make();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
