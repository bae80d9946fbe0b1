// Container credentials: the ECS agent for task roles (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and the EKS Pod
// Identity agent (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html).
import { readFile } from "node:fs/promises";
import { containerCredentialsUrl } from "./endpoints";
import { exchange } from "./http";
import { credentialsFromJson, parseJson } from "./imds";
import { CredentialsError, type Loaded, type SourceContext } from "./types";

export async function loadFromContainer(ctx: SourceContext): Promise<Loaded> {
  const url = containerCredentialsUrl(ctx.env, ctx.ecsHost);
  if (!url) throw new CredentialsError("container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set");
  const endpoint = new URL(url).origin;
  const what = `container credentials at ${endpoint}`;
  const authorization = await authorizationToken(ctx);
  // The token file is read on every call: EKS rotates it.
  const res = await exchange(ctx.fetch, () => new Request(url, { headers: authorization ? { authorization } : {} }), {
    what,
    timeoutMs: 1000,
    attempts: 2,
    backoffMs: 100,
  });
  if (res.status !== 200) {
    const err = safeJson(res.body);
    const code = err?.code ?? err?.Code;
    const message = err?.message ?? err?.Message;
    throw new CredentialsError(`${what} answered ${res.status}${code ? `: ${code}` : ""}${message ? `: ${message}` : ""}`);
  }
  const json = parseJson(res.body, what) as Record<string, unknown>;
  return {
    credentials: credentialsFromJson(json, what),
    identity: { endpoint, roleArn: typeof json.RoleArn === "string" ? json.RoleArn : undefined },
  };
}

async function authorizationToken(ctx: SourceContext): Promise<string | undefined> {
  const file = ctx.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE?.trim();
  let token: string | undefined;
  if (file) {
    try {
      token = (await readFile(file, "utf8")).trim();
    } catch (err) {
      throw new CredentialsError(`container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  } else token = ctx.env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
  if (token && /[\r\n]/.test(token)) throw new CredentialsError("container credentials: the authorization token contains a line break");
  return token;
}

function safeJson(body: string): Record<string, string> | undefined {
  try {
    const j = JSON.parse(body);
    return j && typeof j === "object" ? j : undefined;
  } catch {
    return undefined;
  }
}
