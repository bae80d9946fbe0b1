// A named profile from the shared files (AWS_PROFILE, default `default`): static keys, role_arn with source_profile
// or credential_source (STS AssumeRole), web_identity_token_file, or credential_process. SSO profiles are refused
// with a way around it.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadFromContainer } from "./container";
import { loadFromInstanceMetadata } from "./imds";
import { runCredentialProcess } from "./process";
import { mergeProfiles, profileKind, type Profiles } from "./shared-config";
import { assumeRole, assumeRoleWithWebIdentity } from "./sts";
import { CredentialsError, type Loaded, type SourceContext } from "./types";

export type SharedFiles = { profiles: Profiles; configPath: string; credentialsPath: string; found: string[] };

export function profileName(ctx: SourceContext): string {
  return ctx.env.AWS_PROFILE?.trim() || "default";
}

export async function readSharedFiles(ctx: SourceContext): Promise<SharedFiles> {
  const configPath = expandHome(ctx.env.AWS_CONFIG_FILE?.trim() || "~/.aws/config", ctx.homedir);
  const credentialsPath = expandHome(ctx.env.AWS_SHARED_CREDENTIALS_FILE?.trim() || "~/.aws/credentials", ctx.homedir);
  const [config, credentials] = await Promise.all([readOptional(configPath), readOptional(credentialsPath)]);
  const found = [config === undefined ? "" : configPath, credentials === undefined ? "" : credentialsPath].filter(Boolean);
  return { profiles: mergeProfiles(config, credentials), configPath, credentialsPath, found };
}

/** Credentials for profile `name`; `visited` guards against source_profile cycles. */
export async function loadFromProfile(ctx: SourceContext, profiles: Profiles, name: string, visited: string[] = []): Promise<Loaded> {
  const p = profiles[name];
  const kind = profileKind(p);
  // A source profile with static keys is used as such even if it names a role too, as the AWS CLI does.
  if (visited.length > 0 && p?.aws_access_key_id && p.aws_secret_access_key) return staticKeys(name, p);
  switch (kind) {
    case "static":
      return staticKeys(name, p!);
    case "assume-role":
      return assume(ctx, profiles, name, visited);
    case "web-identity": {
      const loaded = await assumeRoleWithWebIdentity(ctx, {
        roleArn: p!.role_arn!,
        tokenFile: p!.web_identity_token_file!,
        sessionName: p!.role_session_name,
        region: p!.region || ctx.region,
      });
      return { credentials: loaded.credentials, identity: { profile: name, via: "web-identity", ...loaded.identity } };
    }
    case "process":
      return {
        credentials: await runCredentialProcess(p!.credential_process!, name, ctx.clock),
        identity: { profile: name, via: "credential_process" },
      };
    case "sso":
      throw new CredentialsError(
        `profile ${name} uses IAM Identity Center (SSO), which the gateway does not read; use role credentials instead, or set credential_process = aws configure export-credentials --profile ${name} --format process`,
      );
    case "none":
      throw new CredentialsError(
        p
          ? `profile ${name} holds no credentials`
          : `profile ${name} is not in the shared config or credentials file${visited.length ? ` (source_profile of ${visited.at(-1)})` : ""}`,
      );
  }
}

async function assume(ctx: SourceContext, profiles: Profiles, name: string, visited: string[]): Promise<Loaded> {
  const p = profiles[name]!;
  if (p.mfa_serial) throw new CredentialsError(`profile ${name} needs an MFA code (mfa_serial), which a server cannot enter`);
  let source: Loaded;
  if (p.source_profile !== undefined) {
    if (visited.includes(p.source_profile)) {
      throw new CredentialsError(`profile ${name}: source_profile cycle (${[...visited, name, p.source_profile].join(" -> ")})`);
    }
    source = await loadFromProfile(ctx, profiles, p.source_profile, [...visited, name]);
  } else {
    source = await credentialSource(ctx, name, p.credential_source!);
  }
  const duration = p.duration_seconds ? Number(p.duration_seconds) : undefined;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 900)) {
    throw new CredentialsError(`profile ${name}: duration_seconds must be a whole number of seconds, at least 900`);
  }
  const loaded = await assumeRole(ctx, source.credentials, {
    roleArn: p.role_arn!,
    sessionName: p.role_session_name,
    externalId: p.external_id,
    durationSeconds: duration,
    region: p.region || ctx.region,
  });
  return {
    credentials: loaded.credentials,
    identity: { profile: name, via: "assume-role", ...loaded.identity, sourceProfile: p.source_profile, credentialSource: p.credential_source },
  };
}

// credential_source names where the source credentials come from (https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html).
async function credentialSource(ctx: SourceContext, name: string, source: string): Promise<Loaded> {
  switch (source) {
    case "Environment":
      if (!ctx.environmentCredentials)
        throw new CredentialsError(`profile ${name}: credential_source Environment, but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set`);
      return { credentials: ctx.environmentCredentials, identity: {} };
    case "Ec2InstanceMetadata":
      return loadFromInstanceMetadata(ctx);
    case "EcsContainer":
      return loadFromContainer(ctx);
    default:
      throw new CredentialsError(`profile ${name}: credential_source must be Environment, Ec2InstanceMetadata or EcsContainer (got "${source}")`);
  }
}

function staticKeys(name: string, p: Record<string, string>): Loaded {
  return {
    credentials: { accessKeyId: p.aws_access_key_id!, secretAccessKey: p.aws_secret_access_key!, sessionToken: p.aws_session_token || undefined },
    identity: { profile: name, via: "static keys" },
  };
}

function expandHome(file: string, home: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(home, file.slice(1)) : file;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new CredentialsError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
}
