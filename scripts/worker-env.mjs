// Helpers for scripts/start-worker.mjs: which settings the Worker gets from the environment, and how they reach
// it (wrangler dev does not pass its own process.env into the Worker): settings as `--var NAME:value`, which
// wrangler takes verbatim, and the credentials (AWS's, the admin and metrics tokens, the Responses seal key)
// through a private --env-file, so they stay out of the process list.
import { readFileSync } from "node:fs";
import path from "node:path";

/** Settings that mean something only to a long-lived server; the Worker gets its database through Hyperdrive. */
export const NOT_FOR_WORKER = new Set(["PORT", "HOST", "DATA_DIR", "MIGRATE_ON_START", "DATABASE_URL"]);

/** Passed through the env file, never on the command line. */
export const SECRETS = new Set(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ADMIN_TOKEN", "METRICS_TOKEN", "RESPONSES_SEAL_KEY"]);

/** The variable names of ConfigSchema, read from src/config.ts (a test checks them against the schema itself). */
export function configVariableNames(root) {
  const source = readFileSync(path.join(root, "src/config.ts"), "utf8");
  const start = source.indexOf("export const ConfigSchema = z.object({");
  const end = source.indexOf("\n});", start);
  if (start < 0 || end < 0) throw new Error("src/config.ts: ConfigSchema not found");
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

/** The gateway settings present in `env` that the Worker should see, split into plain vars and secrets. */
export function workerSettings(env, names) {
  const vars = {};
  const secrets = {};
  for (const name of names) {
    if (NOT_FOR_WORKER.has(name)) continue;
    const value = env[name];
    if (value !== undefined) (SECRETS.has(name) ? secrets : vars)[name] = value;
  }
  return { vars, secrets };
}

/** `--var NAME:value` arguments: wrangler splits on the first colon and keeps the rest as it is. */
export function varArgs(vars) {
  return Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
}

/**
 * Serialises vars in the dotenv syntax wrangler reads for --env-file: dotenv, then dotenv-expand (so `$NAME`
 * would be substituted). Each value is quoted with a quote character it does not contain (dotenv keeps single-
 * and back-quoted values literally, multi-line included), and every `$` is escaped as `\$`, which dotenv-expand
 * leaves alone and then turns back into `$`.
 */
export function toDotenv(vars) {
  let out = "";
  for (const [name, value] of Object.entries(vars)) {
    // Double quotes come last: dotenv rewrites \n and \r inside them.
    const quote = ["'", "`", '"'].find((q) => !value.includes(q));
    if (!quote || (quote === '"' && value.includes("\\"))) {
      throw new Error(`${name}: a value containing ', \` and " (and a backslash) cannot be passed to wrangler dev; use another value`);
    }
    out += `${name}=${quote}${value.replaceAll("$", "\\$")}${quote}\n`;
  }
  return out;
}
