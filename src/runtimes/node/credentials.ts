/**
 * AWS credentials for long-lived servers, in the SDK's order: environment variables, then the container
 * credentials endpoint (ECS task roles, EKS Pod Identity), then web identity (EKS IRSA), then EC2 instance
 * metadata (IMDSv2). Temporary credentials are refreshed ahead of expiry and never used once expired.
 */
import { readFile } from "node:fs/promises";
import type { AwsCredentials, CredentialsProvider } from "../../bedrock/client";
import type { Config } from "../../config";
import type { Logger } from "../../logger";

type Temporary = AwsCredentials & { expiration?: number };
type Source = { name: string; load: () => Promise<Temporary> };

const REFRESH_BEFORE_MS = 5 * 60 * 1000;
const ECS_HOST = "http://169.254.170.2";
const IMDS = "http://169.254.169.254";
const TIMEOUT_MS = 2000;

export function createCredentialsProvider(
  config: Config,
  env: Record<string, string | undefined>,
  logger: Logger,
  clock = () => Date.now(),
): CredentialsProvider {
  if (config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY) {
    const creds = { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY, sessionToken: config.AWS_SESSION_TOKEN };
    return async () => creds;
  }
  const sources = roleSources(config, env);
  if (sources.length === 0) return async () => ({ accessKeyId: "", secretAccessKey: "" });

  let current: Temporary | null = null;
  let inflight: Promise<Temporary> | null = null;
  // After a failed lookup, wait before asking the endpoints again instead of stalling every request.
  let retryAfter = 0;
  const refresh = () =>
    (inflight ??= (async () => {
      let lastError: unknown;
      for (const source of sources) {
        try {
          const c = await source.load();
          logger.info("aws credentials loaded", { source: source.name, expiresAt: c.expiration ? new Date(c.expiration).toISOString() : undefined });
          return c;
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError instanceof Error ? lastError : new Error("no AWS credentials available");
    })().finally(() => (inflight = null)));

  return async () => {
    const now = clock();
    if (current && (!current.expiration || current.expiration - now > REFRESH_BEFORE_MS)) return current;
    if (now < retryAfter) return current?.expiration && current.expiration > now ? current : { accessKeyId: "", secretAccessKey: "" };
    try {
      current = await refresh();
    } catch (err) {
      retryAfter = now + 30_000;
      // Old credentials keep serving until they actually expire; expired ones are never used to sign.
      if (current?.expiration && current.expiration > now) {
        logger.warn("aws credential refresh failed; using current credentials until they expire", { error: String(err) });
        return current;
      }
      logger.error("aws credentials unavailable", { error: String(err) });
      return { accessKeyId: "", secretAccessKey: "" };
    }
    return current;
  };
}

function roleSources(config: Config, env: Record<string, string | undefined>): Source[] {
  const sources: Source[] = [];
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (relative || full) {
    sources.push({
      name: "container",
      load: async () => {
        const headers: Record<string, string> = {};
        const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
        const token = tokenFile ? (await readFile(tokenFile, "utf8")).trim() : env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
        if (token) headers.authorization = token;
        return parseCredentialJson(await getJson(relative ? `${ECS_HOST}${relative}` : full!, { headers }));
      },
    });
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    sources.push({
      name: "web-identity",
      load: () =>
        assumeRoleWithWebIdentity(config.AWS_REGION, env.AWS_WEB_IDENTITY_TOKEN_FILE!, env.AWS_ROLE_ARN!, env.AWS_ROLE_SESSION_NAME ?? "bedrock-gateway"),
    });
  }
  if ((env.AWS_EC2_METADATA_DISABLED ?? "").toLowerCase() !== "true") {
    sources.push({ name: "instance-metadata", load: imdsCredentials });
  }
  return sources;
}

async function imdsCredentials(): Promise<Temporary> {
  const token = await fetchWithTimeout(`${IMDS}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" } });
  if (!token.ok) throw new Error(`IMDS token: ${token.status}`);
  const headers = { "x-aws-ec2-metadata-token": await token.text() };
  const roleRes = await fetchWithTimeout(`${IMDS}/latest/meta-data/iam/security-credentials/`, { headers });
  if (!roleRes.ok) throw new Error(`IMDS role: ${roleRes.status}`);
  const role = (await roleRes.text()).split("\n")[0]!.trim();
  return parseCredentialJson(await getJson(`${IMDS}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, { headers }));
}

async function assumeRoleWithWebIdentity(region: string, tokenFile: string, roleArn: string, sessionName: string): Promise<Temporary> {
  const token = (await readFile(tokenFile, "utf8")).trim();
  const params = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: roleArn,
    RoleSessionName: sessionName,
    WebIdentityToken: token,
  });
  const res = await fetchWithTimeout(`https://sts.${region}.amazonaws.com/?${params}`, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`STS AssumeRoleWithWebIdentity: ${res.status}`);
  const json = (await res.json()) as { AssumeRoleWithWebIdentityResponse?: { AssumeRoleWithWebIdentityResult?: { Credentials?: Record<string, unknown> } } };
  const c = json.AssumeRoleWithWebIdentityResponse?.AssumeRoleWithWebIdentityResult?.Credentials;
  if (!c) throw new Error("STS answered without credentials");
  return parseCredentialJson({
    AccessKeyId: c.AccessKeyId,
    SecretAccessKey: c.SecretAccessKey,
    Token: c.SessionToken,
    Expiration: typeof c.Expiration === "number" ? c.Expiration * 1000 : c.Expiration,
  });
}

/** The container/IMDS JSON shape: AccessKeyId, SecretAccessKey, Token, Expiration. */
export function parseCredentialJson(json: unknown): Temporary {
  const j = json as Record<string, unknown>;
  if (typeof j?.AccessKeyId !== "string" || typeof j.SecretAccessKey !== "string") throw new Error("credential response lacks AccessKeyId/SecretAccessKey");
  const expiration = j.Expiration === undefined ? undefined : new Date(j.Expiration as string | number).getTime();
  return {
    accessKeyId: j.AccessKeyId,
    secretAccessKey: j.SecretAccessKey,
    sessionToken: typeof j.Token === "string" ? j.Token : undefined,
    expiration: Number.isFinite(expiration) ? expiration : undefined,
  };
}

async function getJson(url: string, init: RequestInit): Promise<unknown> {
  const res = await fetchWithTimeout(url, init);
  if (!res.ok) throw new Error(`${new URL(url).host}: ${res.status}`);
  return res.json();
}

function fetchWithTimeout(url: string, init: RequestInit): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
}
