// Helpers for scripts/start-worker.mjs: which settings the Worker gets from the environment, and how they are
// written for wrangler's --env-file (wrangler dev does not pass its own process.env into the Worker).
import { readFileSync } from "node:fs";
import path from "node:path";

/** Settings that mean something only to a long-lived server; the Worker gets its database through Hyperdrive. */
export const NOT_FOR_WORKER = new Set(["PORT", "HOST", "DATA_DIR", "MIGRATE_ON_START", "DATABASE_URL"]);

/** The variable names of ConfigSchema, read from src/config.ts (a test checks them against the schema itself). */
export function configVariableNames(root) {
  const source = readFileSync(path.join(root, "src/config.ts"), "utf8");
  const start = source.indexOf("export const ConfigSchema = z.object({");
  const end = source.indexOf("\n});", start);
  if (start < 0 || end < 0) throw new Error("src/config.ts: ConfigSchema not found");
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

/** The gateway settings present in `env` that the Worker should see. */
export function workerVars(env, names) {
  const out = {};
  for (const name of names) {
    if (NOT_FOR_WORKER.has(name)) continue;
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
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
      throw new Error(`${name}: a value containing ', \` and " (and a backslash) cannot be passed to wrangler dev; set it in wrangler.toml [vars]`);
    }
    out += `${name}=${quote}${value.replaceAll("$", "\\$")}${quote}\n`;
  }
  return out;
}
