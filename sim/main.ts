/**
 * `npm run sim`: the Bedrock simulator as a process. SIM_PORT (default 4010), SIM_HOST (default 127.0.0.1),
 * SIM_REGION (default us-east-1), SIM_VERIFY_SIGNATURES=false to accept unsigned or mis-signed requests
 * (e.g. for a peer gateway that signs the host without the port).
 */
import { SIM_CREDENTIALS, startSimulator } from "./server";

const region = process.env.SIM_REGION || "us-east-1";
const verifySignatures = !/^(0|false|no|off)$/i.test(process.env.SIM_VERIFY_SIGNATURES ?? "");
const sim = await startSimulator({
  port: Number(process.env.SIM_PORT ?? 4010),
  host: process.env.SIM_HOST || "127.0.0.1",
  region,
  verifySignatures,
});

// The block below is meant to be pasted into the shell that starts the gateway. AWS_SESSION_TOKEN and AWS_PROFILE
// are unset because the simulator knows only this key pair, and either would make the gateway sign differently.
console.log(`Bedrock simulator listening on ${sim.url}
  region:      ${region}
  signatures:  ${verifySignatures ? "verified (SigV4, service bedrock)" : "NOT verified"}
  stats:       ${sim.url}/__sim/stats  (also /__sim/requests, POST /__sim/reset)

Point a gateway at it (paste into the shell that runs npm start):

export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=${sim.url}
export AWS_ENDPOINT_URL_BEDROCK=${sim.url}
export AWS_ACCESS_KEY_ID=${SIM_CREDENTIALS.accessKeyId}
export AWS_SECRET_ACCESS_KEY=${SIM_CREDENTIALS.secretAccessKey}
export AWS_REGION=${region}
unset AWS_SESSION_TOKEN AWS_PROFILE
`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the Bedrock simulator`);
  await sim.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
