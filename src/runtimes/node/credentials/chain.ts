// The order AWS's SDK for JavaScript v3 looks for credentials in (fromNodeProviderChain): environment variables,
// the shared config/credentials files for AWS_PROFILE, web identity (EKS IRSA), then container credentials (ECS,
// EKS Pod Identity) or, when none are configured, EC2 instance metadata. A source that is configured but fails
// ends the search with its error, as in the SDK: falling through to another identity would hide the mistake.
import { instanceMetadataDisabled } from "./endpoints";
import { loadFromContainer } from "./container";
import { loadFromInstanceMetadata } from "./imds";
import { loadFromProfile, profileName, readSharedFiles, type SharedFiles } from "./profile";
import { profileKind } from "./shared-config";
import { assumeRoleWithWebIdentity } from "./sts";
import { CredentialsError, type Loaded, type SourceContext } from "./types";

export type SourceName = "environment" | "profile" | "web-identity" | "container" | "instance-metadata";
export type Found = Loaded & { source: SourceName };

/** No source gave credentials; `tried` says, source by source, what was looked at and why it gave none. */
export class NoCredentialsError extends CredentialsError {
  constructor(readonly tried: string[]) {
    super(`no AWS credentials: ${tried.join("; ")}`);
    this.name = "NoCredentialsError";
  }
}

export async function resolveChain(ctx: SourceContext): Promise<Found> {
  const tried: string[] = [];
  const attempt = async (source: SourceName, load: () => Promise<Loaded>): Promise<Found> => {
    try {
      return { source, ...(await load()) };
    } catch (err) {
      const message = err instanceof CredentialsError ? err.message : String(err);
      tried.push(message.startsWith(source.replace("-", " ")) ? message : `${source}: ${message}`);
      throw new NoCredentialsError(tried);
    }
  };

  // With AWS_PROFILE set, the SDK skips the environment keys and uses the profile (it warns when both are set).
  // Keys the program set itself, rather than inherited with AWS_PROFILE from the same environment, still win:
  // the demo points the gateway at the simulator that way.
  const env = ctx.environmentCredentials;
  const inherited = env !== undefined && ctx.env.AWS_ACCESS_KEY_ID?.trim() === env.accessKeyId;
  const profileFirst = Boolean(ctx.env.AWS_PROFILE?.trim()) && inherited;
  if (env && !profileFirst) return { source: "environment", credentials: env, identity: {} };
  const partial = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((v) => ctx.env[v]?.trim());
  tried.push(
    profileFirst
      ? "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY skipped because AWS_PROFILE is set"
      : partial.length === 1
        ? `environment: only ${partial[0]} is set`
        : "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set",
  );

  const name = profileName(ctx);
  let shared: SharedFiles;
  try {
    shared = await readSharedFiles(ctx);
  } catch (err) {
    tried.push(`profile ${name}: ${(err as Error).message}`);
    throw new NoCredentialsError(tried);
  }
  if (profileKind(shared.profiles[name]) !== "none") {
    const found = await attempt("profile", () => loadFromProfile(ctx, shared.profiles, name));
    if (profileFirst) found.identity.note = "AWS_PROFILE is set, so AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not used directly";
    return found;
  }
  tried.push(
    shared.found.length === 0
      ? `profile ${name}: no ${shared.credentialsPath} or ${shared.configPath}`
      : `profile ${name}: ${shared.profiles[name] ? "holds no credentials" : "not found"} in ${shared.found.join(", ")}`,
  );

  const tokenFile = ctx.env.AWS_WEB_IDENTITY_TOKEN_FILE?.trim();
  const roleArn = ctx.env.AWS_ROLE_ARN?.trim();
  if (tokenFile && roleArn) {
    return attempt("web-identity", () =>
      assumeRoleWithWebIdentity(ctx, { roleArn, tokenFile, sessionName: ctx.env.AWS_ROLE_SESSION_NAME?.trim(), region: ctx.region }),
    );
  }
  tried.push("web-identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set");

  if (ctx.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?.trim() || ctx.env.AWS_CONTAINER_CREDENTIALS_FULL_URI?.trim()) {
    return attempt("container", () => loadFromContainer(ctx));
  }
  tried.push("container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/AWS_CONTAINER_CREDENTIALS_FULL_URI not set");

  if (instanceMetadataDisabled(ctx.env)) {
    tried.push("instance-metadata: disabled by AWS_EC2_METADATA_DISABLED");
    throw new NoCredentialsError(tried);
  }
  return attempt("instance-metadata", () => loadFromInstanceMetadata(ctx));
}
