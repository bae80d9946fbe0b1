// What the benchmark and the soak share to run a gateway process against the project's simulator: the simulator's
// credentials, the gateway's environment for it, and a key on the full policy path.
import { execFileSync } from "node:child_process";

/** The simulator's default credentials (sim/server.ts). */
export const SIM_CREDENTIALS = { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "simulator-secret-access-key" };

/** A gateway's Bedrock settings for the simulator at `simUrl`, with every other AWS source (profile, instance metadata) off. */
export function simulatorGatewayEnv(simUrl, region = "us-east-1") {
  return {
    AWS_REGION: region,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: simUrl,
    AWS_ENDPOINT_URL_BEDROCK: simUrl,
    AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: "",
    AWS_PROFILE: "",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/**
 * Creates a key for `user` through the CLI (in `root`, on the database `dbEnv` names) with rpm and tpm limits and a
 * daily budget far above any load, so admission counts, reserves and settles each request. Returns the plaintext key.
 */
export function createLimitedKey(root, dbEnv, user) {
  const created = execFileSync(
    process.execPath,
    ["dist/cli.js", "keys", "create", "--user", user, "--rpm", "1000000000", "--tpm", "2000000000", "--budget-daily", "1000000", "--json"],
    { cwd: root, env: { ...process.env, ...dbEnv, LOG_LEVEL: "error" } },
  );
  return JSON.parse(created).key;
}
