// Where each credential source lives, following the variables AWS's SDKs and CLI read. Pure: no I/O.
import { CredentialsError, type Env } from "./types";

export const IMDS_IPV4 = "http://169.254.169.254";
export const IMDS_IPV6 = "http://[fd00:ec2::254]";
export const ECS_CREDENTIALS_HOST = "http://169.254.170.2";

// AWS_STS_REGIONAL_ENDPOINTS=legacy sends these regions to the global endpoint (the SDKs' STS endpoint rules).
const LEGACY_GLOBAL_REGIONS = new Set([
  "ap-northeast-1",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "aws-global",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
]);

// Hosts a plain-http AWS_CONTAINER_CREDENTIALS_FULL_URI may name: the ECS agent and the EKS Pod Identity agent
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html), besides loopback.
const CONTAINER_HOSTS = new Set(["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost", "[::1]"]);

/** AWS_EC2_METADATA_DISABLED: any value but `false` turns the instance metadata lookup off, as in the SDKs. */
export function instanceMetadataDisabled(env: Env): boolean {
  const v = env.AWS_EC2_METADATA_DISABLED?.trim();
  return v !== undefined && v !== "" && v.toLowerCase() !== "false";
}

/** AWS_EC2_METADATA_SERVICE_ENDPOINT, else the address for AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4 default). */
export function instanceMetadataEndpoint(env: Env): string {
  const explicit = env.AWS_EC2_METADATA_SERVICE_ENDPOINT?.trim();
  if (explicit) return httpBase(explicit, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  const mode = env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.trim() || "IPv4";
  if (mode.toLowerCase() === "ipv4") return IMDS_IPV4;
  if (mode.toLowerCase() === "ipv6") return IMDS_IPV6;
  throw new CredentialsError(`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6 (got "${mode}")`);
}

/** The container credentials URL, or null when neither variable is set. RELATIVE_URI wins, as in the SDKs. */
export function containerCredentialsUrl(env: Env, ecsHost = ECS_CREDENTIALS_HOST): string | null {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?.trim();
  if (relative) return `${ecsHost}${relative}`;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI?.trim();
  if (!full) return null;
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new CredentialsError("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
  }
  if (url.protocol === "https:") return url.toString();
  if (url.protocol === "http:" && (CONTAINER_HOSTS.has(url.hostname) || isLoopbackV4(url.hostname))) return url.toString();
  throw new CredentialsError(
    `AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback (127.0.0.0/8, [::1]), the ECS agent (169.254.170.2) or the EKS Pod Identity agent (169.254.170.23, [fd00:ec2::23]); got host ${url.host}`,
  );
}

/** The STS endpoint and the region to sign for: AWS_ENDPOINT_URL_STS, else regional unless AWS_STS_REGIONAL_ENDPOINTS=legacy. */
export function stsEndpoint(env: Env, region: string): { url: string; signingRegion: string } {
  const override = env.AWS_ENDPOINT_URL_STS?.trim();
  if (override) return { url: httpBase(override, "AWS_ENDPOINT_URL_STS"), signingRegion: region };
  const mode = (env.AWS_STS_REGIONAL_ENDPOINTS?.trim() || "regional").toLowerCase();
  if (mode !== "regional" && mode !== "legacy") {
    throw new CredentialsError(`AWS_STS_REGIONAL_ENDPOINTS must be regional or legacy (got "${env.AWS_STS_REGIONAL_ENDPOINTS}")`);
  }
  if (mode === "legacy" && LEGACY_GLOBAL_REGIONS.has(region)) return { url: "https://sts.amazonaws.com", signingRegion: "us-east-1" };
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return { url: `https://sts.${region}.${suffix}`, signingRegion: region };
}

function httpBase(value: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CredentialsError(`${variable} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CredentialsError(`${variable} must be an http(s) URL`);
  return url.toString().replace(/\/+$/, "");
}

function isLoopbackV4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts[0] === "127" && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
