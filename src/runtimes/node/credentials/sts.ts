// STS calls in the Query API form (POST, application/x-www-form-urlencoded, Version=2011-06-15): AssumeRoleWithWebIdentity
// (unsigned; the web identity token is the proof) and AssumeRole (SigV4-signed with the source credentials, service sts).
import { readFile } from "node:fs/promises";
import { AwsClient } from "aws4fetch";
import type { AwsCredentials } from "../../../bedrock/client";
import { stsEndpoint } from "./endpoints";
import { exchange } from "./http";
import { parseStsCredentials, parseStsError } from "./sts-xml";
import { CredentialsError, type Loaded, type SourceContext } from "./types";

// Throttling and IDPCommunicationError are worth retrying: AWS documents the latter as often transient
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors).
const RETRYABLE_CODES = new Set(["Throttling", "ThrottlingException", "IDPCommunicationError", "RequestExpired"]);
const ATTEMPT = { timeoutMs: 5000, attempts: 2, backoffMs: 200 } as const;

export type WebIdentityParams = { roleArn: string; tokenFile: string; sessionName?: string; region: string };
export type AssumeRoleParams = { roleArn: string; sessionName?: string; externalId?: string; durationSeconds?: number; region: string };

export async function assumeRoleWithWebIdentity(ctx: SourceContext, p: WebIdentityParams): Promise<Loaded> {
  let token: string;
  try {
    // Read on every refresh: EKS rotates the projected service account token.
    token = (await readFile(p.tokenFile, "utf8")).trim();
  } catch (err) {
    throw new CredentialsError(`web identity: cannot read the token file ${p.tokenFile} (${(err as NodeJS.ErrnoException).code})`);
  }
  const body = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: p.roleArn,
    RoleSessionName: p.sessionName || defaultSessionName(ctx),
    WebIdentityToken: token,
  }).toString();
  const { url } = stsEndpoint(ctx.env, p.region);
  return call(ctx, "AssumeRoleWithWebIdentity", url, p.roleArn, () => new Request(`${url}/`, { method: "POST", headers: FORM, body }));
}

export async function assumeRole(ctx: SourceContext, source: AwsCredentials, p: AssumeRoleParams): Promise<Loaded> {
  const params: Record<string, string> = {
    Action: "AssumeRole",
    Version: "2011-06-15",
    RoleArn: p.roleArn,
    RoleSessionName: p.sessionName || defaultSessionName(ctx),
  };
  if (p.externalId) params.ExternalId = p.externalId;
  if (p.durationSeconds) params.DurationSeconds = String(p.durationSeconds);
  const body = new URLSearchParams(params).toString();
  const { url, signingRegion } = stsEndpoint(ctx.env, p.region);
  const signer = new AwsClient({ ...source, service: "sts", region: signingRegion, retries: 0 });
  return call(ctx, "AssumeRole", url, p.roleArn, () => signer.sign(`${url}/`, { method: "POST", headers: FORM, body }));
}

const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

async function call(ctx: SourceContext, action: string, url: string, roleArn: string, build: () => Request | Promise<Request>): Promise<Loaded> {
  const what = `STS ${action} (${new URL(url).host})`;
  const res = await exchange(ctx.fetch, build, {
    what,
    ...ATTEMPT,
    retryable: (_res, body) => RETRYABLE_CODES.has(parseStsError(body)?.code ?? ""),
  });
  if (res.status !== 200) {
    const err = parseStsError(res.body);
    throw new CredentialsError(`${what} for ${roleArn} failed (${res.status})${err ? `: ${err.code}: ${err.message}` : ""}`);
  }
  const creds = parseStsCredentials(res.body, action);
  if (!creds) throw new CredentialsError(`${what} for ${roleArn}: the answer holds no credentials`);
  const { assumedRoleArn, ...credentials } = creds;
  return { credentials, identity: { roleArn, assumedRoleArn } };
}

// Session names show up in CloudTrail; naming the gateway makes its calls easy to find (pattern [\w+=,.@-]{2,64}).
function defaultSessionName(ctx: SourceContext): string {
  return `bedrock-gateway-${ctx.clock()}`;
}
