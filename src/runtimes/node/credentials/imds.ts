// EC2 instance role credentials over IMDSv2 only: a session token first (PUT), then the role name and the role's
// credentials with that token (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html).
// There is deliberately no fallback to IMDSv1 (unauthenticated GETs).
import { instanceMetadataEndpoint } from "./endpoints";
import { exchange, type Answer } from "./http";
import { CredentialsError, type Loaded, type SourceContext } from "./types";

const TOKEN_TTL_SECONDS = "21600";
const CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/";
// One second and one retry per call, as the SDKs' instance metadata client does by default.
const ATTEMPT = { what: "instance metadata", timeoutMs: 1000, attempts: 2 } as const;

export async function loadFromInstanceMetadata(ctx: SourceContext): Promise<Loaded> {
  const base = instanceMetadataEndpoint(ctx.env);
  let token = await fetchToken(ctx, base);
  // A token can be refused later (401: expired or from another instance): fetch a new one once.
  const get = async (path: string): Promise<Answer> => {
    let res = await exchange(ctx.fetch, () => new Request(`${base}${path}`, { headers: { "x-aws-ec2-metadata-token": token } }), ATTEMPT);
    if (res.status === 401) {
      token = await fetchToken(ctx, base);
      res = await exchange(ctx.fetch, () => new Request(`${base}${path}`, { headers: { "x-aws-ec2-metadata-token": token } }), ATTEMPT);
    }
    return res;
  };

  const roles = await get(CREDENTIALS_PATH);
  if (roles.status === 404) throw new CredentialsError(`instance metadata at ${base}: no IAM role is attached to this instance (instance profile)`);
  if (roles.status !== 200) throw new CredentialsError(`instance metadata at ${base}: role lookup answered ${roles.status}`);
  const role = roles.body.split("\n")[0]!.trim();
  if (!role) throw new CredentialsError(`instance metadata at ${base}: no IAM role is attached to this instance (instance profile)`);

  const res = await get(`${CREDENTIALS_PATH}${encodeURIComponent(role)}`);
  if (res.status !== 200) throw new CredentialsError(`instance metadata at ${base}: credentials for role ${role} answered ${res.status}`);
  const json = parseJson(res.body, `instance metadata at ${base}`) as Record<string, unknown>;
  if (json.Code !== undefined && json.Code !== "Success") {
    throw new CredentialsError(`instance metadata at ${base}: role ${role}: ${String(json.Code)}${json.Message ? `: ${String(json.Message)}` : ""}`);
  }
  return { credentials: credentialsFromJson(json, `instance metadata at ${base}`), identity: { role, endpoint: base } };
}

async function fetchToken(ctx: SourceContext, base: string): Promise<string> {
  const res = await exchange(
    ctx.fetch,
    () => new Request(`${base}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS } }),
    ATTEMPT,
  );
  if (res.status === 200 && res.body) return res.body;
  if (res.status === 403) {
    throw new CredentialsError(`instance metadata at ${base}: token request refused (403): the metadata service is turned off for this instance`);
  }
  if (res.status === 404 || res.status === 405) {
    throw new CredentialsError(`instance metadata at ${base}: no IMDSv2 token service (${res.status}); IMDSv1 is not used`);
  }
  throw new CredentialsError(`instance metadata at ${base}: token request answered ${res.status}`);
}

/** The JSON both instance metadata and container endpoints answer: AccessKeyId, SecretAccessKey, Token, Expiration. */
export function credentialsFromJson(json: Record<string, unknown>, what: string): Loaded["credentials"] {
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = json;
  if (typeof AccessKeyId !== "string" || typeof SecretAccessKey !== "string" || typeof Token !== "string" || typeof Expiration !== "string") {
    throw new CredentialsError(`${what}: the answer lacks AccessKeyId, SecretAccessKey, Token or Expiration`);
  }
  const expiration = Date.parse(Expiration);
  if (!Number.isFinite(expiration)) throw new CredentialsError(`${what}: Expiration is not a date`);
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: Token, expiration };
}

export function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new CredentialsError(`${what}: the answer is not JSON`);
  }
}
