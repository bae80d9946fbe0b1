// `npm run start:worker`: the Worker in local workerd (`wrangler dev`, no Cloudflare account needed), configured
// from the same environment as `npm start`: PORT and HOST become --port and --ip, gateway settings become --var,
// AWS credentials reach the Worker through a private env file, and DATABASE_URL becomes Hyperdrive's local
// connection string.
// The Worker never migrates: run `npx bedrock-gateway migrate` against DATABASE_URL first.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { configVariableNames, toDotenv, varArgs, workerSettings } from "./worker-env.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = process.env;

if (!env.DATABASE_URL) {
  console.error("start-worker: DATABASE_URL is required (the Worker reaches Postgres through Hyperdrive; there is no embedded PGlite on Workers).");
  process.exit(1);
}

// Miniflare's local Hyperdrive insists on a password in the URL. A server with trust (or peer-less) auth never
// asks for one, so a placeholder lets the same passwordless DATABASE_URL work as with `npm start`.
const hyperdriveUrl = withPassword(env.DATABASE_URL);
const port = env.PORT || "8080";
const host = env.HOST || "0.0.0.0";
const varsDir = mkdtempSync(path.join(tmpdir(), "bedrock-gateway-worker-"));
const varsFile = path.join(varsDir, "worker.env");
const { vars, secrets } = workerSettings(env, configVariableNames(root));
// The file holds the AWS credentials: readable by this user only, removed on exit. An explicit --env-file also
// keeps wrangler from reading a .dev.vars or .env lying in the project.
writeFileSync(varsFile, toDotenv(secrets), { mode: 0o600 });

const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const args = [
  wrangler,
  "dev",
  "--ip",
  host,
  "--port",
  port,
  "--env-file",
  varsFile,
  ...varArgs(vars),
  "--show-interactive-dev-session=false",
  "--log-level",
  "log",
];
const child = spawn(process.execPath, args, {
  cwd: root,
  env: {
    ...env,
    CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl,
    WRANGLER_SEND_METRICS: "false",
    CI: "true",
  },
  stdio: ["ignore", "inherit", "inherit"],
});

const cleanup = () => rmSync(varsDir, { recursive: true, force: true });
let signalled = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    signalled = true;
    child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  cleanup();
  // Stopped on request: a clean exit, as `npm start` gives on SIGTERM.
  process.exit(signalled ? 0 : (code ?? (signal ? 1 : 0)));
});
child.on("error", (err) => {
  cleanup();
  console.error(`start-worker: could not run wrangler: ${err.message}`);
  process.exit(1);
});

function withPassword(databaseUrl) {
  let url;
  try {
    url = new URL(databaseUrl);
  } catch {
    console.error("start-worker: DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/database).");
    process.exit(1);
  }
  if (url.password === "") url.password = "unused-trust-auth";
  return url.toString();
}
