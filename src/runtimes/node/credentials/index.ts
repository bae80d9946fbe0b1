/**
 * AWS credentials for long-lived servers (Node, Bun): the SDK's source order (chain.ts), looked up once at start
 * and announced, then cached. Temporary credentials are refreshed in the background five minutes before they
 * expire, one lookup at a time (concurrent callers share it); while a refresh fails the current credentials keep
 * signing until they expire, and expired ones never sign.
 */
import { homedir } from "node:os";
import type { AwsCredentials, CredentialsProvider } from "../../../bedrock/client";
import type { Config } from "../../../config";
import type { Logger } from "../../../logger";
import { NoCredentialsError, resolveChain, type Found } from "./chain";
import { ECS_CREDENTIALS_HOST } from "./endpoints";
import { CredentialsError, type Env, type SourceContext } from "./types";

export const REFRESH_BEFORE_MS = 5 * 60_000;
// Credentials this close to their expiry do not sign: the request could reach AWS after they expired.
export const EXPIRY_MARGIN_MS = 15_000;
// After a successful lookup, wait this long before another, so short-lived credentials cannot cause a stream of lookups.
const MIN_INTERVAL_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
const NONE: AwsCredentials = { accessKeyId: "", secretAccessKey: "" };

export type NodeCredentialsProvider = CredentialsProvider & {
  /** The first lookup: logs which source answered (info) or, when none did, what was tried (warn). */
  announce(): Promise<Found | null>;
};

export type ProviderOptions = {
  clock?: () => number;
  fetch?: typeof fetch;
  /** Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved (default http://169.254.170.2). */
  ecsHost?: string;
  homedir?: string;
};

export function createCredentialsProvider(config: Config, env: Env, logger: Logger, opts: ProviderOptions = {}): NodeCredentialsProvider {
  const clock = opts.clock ?? Date.now;
  const ctx: SourceContext = {
    env,
    region: config.AWS_REGION,
    environmentCredentials:
      config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY, sessionToken: config.AWS_SESSION_TOKEN }
        : undefined,
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    clock,
    homedir: opts.homedir ?? (env.HOME || homedir()),
    ecsHost: opts.ecsHost ?? ECS_CREDENTIALS_HOST,
  };

  let current: Found | null = null;
  let inflight: Promise<Found> | null = null;
  let notBefore = 0;
  let failures = 0;
  // Until announce() has run, it logs the outcome itself.
  let announced = false;

  const usable = (f: Found, now: number) => f.credentials.expiration === undefined || f.credentials.expiration - now > EXPIRY_MARGIN_MS;
  const due = (f: Found, now: number) => f.credentials.expiration !== undefined && f.credentials.expiration - now <= REFRESH_BEFORE_MS;

  async function lookup(): Promise<Found> {
    try {
      const found = await resolveChain(ctx);
      if (!usable(found, clock())) throw new CredentialsError(`${found.source}: the credentials it gave expire at ${iso(found.credentials.expiration)}`);
      if (announced) {
        const notable = failures > 0 || current?.source !== found.source;
        logger[notable ? "info" : "debug"]("aws credentials refreshed", describe(found));
      }
      current = found;
      failures = 0;
      notBefore = clock() + MIN_INTERVAL_MS;
      return found;
    } catch (err) {
      failures++;
      const now = clock();
      notBefore = now + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
      if (announced) {
        const reason = err instanceof NoCredentialsError ? { tried: err.tried } : { error: String(err) };
        if (current && usable(current, now)) {
          logger.warn("aws credential refresh failed; signing with the current credentials until they expire", {
            source: current.source,
            expiresAt: iso(current.credentials.expiration),
            ...reason,
          });
        } else logger.error("aws credentials unavailable; Bedrock calls fail until a source answers", reason);
      }
      throw err;
    }
  }

  function refresh(): Promise<Found> {
    inflight ??= lookup().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function settle(): Promise<AwsCredentials> {
    try {
      const found = await refresh();
      return usable(found, clock()) ? found.credentials : NONE;
    } catch {
      return NONE;
    }
  }

  const provider: CredentialsProvider = async () => {
    const now = clock();
    if (current && usable(current, now)) {
      if (due(current, now) && now >= notBefore && !inflight) refresh().catch(() => {});
      return current.credentials;
    }
    if (!inflight && now < notBefore) return NONE;
    return settle();
  };

  return Object.assign(provider, {
    async announce(): Promise<Found | null> {
      try {
        const found = await refresh();
        logger.info("aws credentials", describe(found));
        return found;
      } catch (err) {
        logger.warn(
          "no usable AWS credentials; Bedrock calls fail until a source provides them",
          err instanceof NoCredentialsError ? { tried: err.tried } : { error: String(err) },
        );
        return null;
      } finally {
        announced = true;
      }
    },
  });
}

function describe(found: Found): Record<string, unknown> {
  return { source: found.source, ...found.identity, expiresAt: iso(found.credentials.expiration) };
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
