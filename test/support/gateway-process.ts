/**
 * Starts the gateway as a real process on one runtime, exactly as its README start command does
 * (node dist/node.js, bun src/runtimes/bun.ts, wrangler dev through scripts/start-worker.mjs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitForHttp } from "./ports";

export type Runtime = "node" | "bun" | "workerd";
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type GatewayProcess = { url: string; runtime: Runtime; logs(): string; stop(signal?: NodeJS.Signals): Promise<number | null>; child: ChildProcess };

const COMMANDS: Record<Runtime, [string, string[]]> = {
  node: [process.execPath, ["dist/node.js"]],
  bun: [path.join(ROOT, "node_modules/.bin/bun"), ["src/runtimes/bun.ts"]],
  workerd: [process.execPath, ["scripts/start-worker.mjs"]],
};

export async function startGatewayProcess(runtime: Runtime, env: Record<string, string>, opts: { readyTimeoutMs?: number } = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const [cmd, args] = COMMANDS[runtime];
  let output = "";
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...cleanEnv(), ...env, PORT: String(port), HOST: "127.0.0.1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  let exited = false;
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => ((exited = true), r(code))));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, opts.readyTimeoutMs ?? 90_000, () => !exited);
  } catch (err) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
    throw new Error(`${runtime} gateway did not start: ${String(err)}\n--- output ---\n${output.slice(-4000)}`);
  }
  return {
    url,
    runtime,
    child,
    logs: () => output,
    async stop(signal = "SIGTERM") {
      if (exited) return exit;
      try {
        // wrangler and bun start children of their own: signal the whole group.
        process.kill(runtime === "workerd" ? -child.pid! : child.pid!, signal);
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 30_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The parent's environment without settings that would leak into the gateway under test. */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(AWS_|DATABASE_URL$|MODELS$|PORT$|HOST$|VITEST|NODE_ENV$)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The environment that points a gateway process at a simulator on loopback, with the simulator's credentials and
 * the instance metadata service off, so nothing can reach a real AWS address.
 */
export function simulatorEnv(simUrl: string, credentials: { accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: simUrl,
    AWS_ENDPOINT_URL_BEDROCK: simUrl,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}
