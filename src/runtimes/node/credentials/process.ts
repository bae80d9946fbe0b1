// credential_process: a command whose stdout is one JSON object, Version 1
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html).
import { exec } from "node:child_process";
import { CredentialsError, type TemporaryCredentials } from "./types";

const TIMEOUT_MS = 60_000;

/** Validates the command's output. `now` decides whether its Expiration is already past. */
export function parseProcessOutput(stdout: string, profile: string, now: number): TemporaryCredentials {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(stdout.trim());
  } catch {
    throw new CredentialsError(`profile ${profile}: credential_process did not print JSON`);
  }
  if (!j || typeof j !== "object") throw new CredentialsError(`profile ${profile}: credential_process did not print a JSON object`);
  if (j.Version !== 1) throw new CredentialsError(`profile ${profile}: credential_process printed Version ${JSON.stringify(j.Version)}, not 1`);
  if (typeof j.AccessKeyId !== "string" || typeof j.SecretAccessKey !== "string" || !j.AccessKeyId || !j.SecretAccessKey) {
    throw new CredentialsError(`profile ${profile}: credential_process printed no AccessKeyId/SecretAccessKey`);
  }
  let expiration: number | undefined;
  if (j.Expiration !== undefined) {
    expiration = typeof j.Expiration === "string" ? Date.parse(j.Expiration) : Number.NaN;
    if (!Number.isFinite(expiration)) throw new CredentialsError(`profile ${profile}: credential_process printed an Expiration that is not an ISO 8601 date`);
    if (expiration <= now) throw new CredentialsError(`profile ${profile}: credential_process printed credentials that expired at ${j.Expiration}`);
  }
  return {
    accessKeyId: j.AccessKeyId,
    secretAccessKey: j.SecretAccessKey,
    sessionToken: typeof j.SessionToken === "string" && j.SessionToken ? j.SessionToken : undefined,
    expiration,
  };
}

/** Runs the command through the shell, as the AWS CLI and SDKs do, and parses what it printed. */
export function runCredentialProcess(command: string, profile: string, now: () => number): Promise<TemporaryCredentials> {
  return new Promise((resolve, reject) => {
    exec(command, { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        // stderr is the command's own diagnostics; stdout may hold secrets and is never quoted.
        const reason = err.killed ? `timed out after ${TIMEOUT_MS / 1000} s` : `exited with code ${err.code ?? "?"}`;
        const detail = String(stderr).trim().split("\n")[0]?.slice(0, 200);
        reject(new CredentialsError(`profile ${profile}: credential_process ${reason}${detail ? `: ${detail}` : ""}`));
        return;
      }
      try {
        resolve(parseProcessOutput(String(stdout), profile, now()));
      } catch (e) {
        reject(e);
      }
    });
  });
}
