/**
 * What a Worker isolate builds once and keeps across requests: parsed config, logger, model catalogue,
 * reasoning store and the Bedrock client (whose AwsClient caches the day's signing key). Nothing here
 * holds a request's I/O: Workers forbid reusing a socket across requests, so the database is per request.
 */
import { createBedrockClient, type BedrockClient, type CredentialsProvider } from "../../bedrock/client";
import { databaseCatalogue, type CatalogueSource } from "../../models/source";
import { bedrockControlEndpoint, bedrockRuntimeEndpoint, ConfigError, parseConfig, type Config } from "../../config";
import { createLogger, type Logger } from "../../logger";
import { createReasoningStore, type ReasoningStore } from "../../reasoning-store";
import type { WorkerEnv } from "./env";

export type IsolateState = {
  config: Config;
  logger: Logger;
  bedrock: BedrockClient;
  catalogue: CatalogueSource;
  reasoningStore: ReasoningStore;
};

export type IsolateResult = { ok: true; state: IsolateState } | { ok: false; problems: string };

let memo: { env: WorkerEnv; result: IsolateResult } | null = null;

/**
 * Parses config and builds the isolate's collaborators on the first request. The env object is the same for
 * every request of an isolate; a new one (a redeploy keeps no isolates, but tests may pass several) rebuilds.
 * A bad config is memoised too: every request answers 500 until the settings are fixed and redeployed.
 */
export function isolateState(env: WorkerEnv): IsolateResult {
  if (memo?.env === env) return memo.result;
  memo = { env, result: buildIsolate(env) };
  return memo.result;
}

function buildIsolate(env: WorkerEnv): IsolateResult {
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, problems: err.message };
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const credentials: CredentialsProvider = async () => ({
    accessKeyId: config.AWS_ACCESS_KEY_ID ?? "",
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY ?? "",
    sessionToken: config.AWS_SESSION_TOKEN,
  });
  if (!config.AWS_ACCESS_KEY_ID) logger.warn("no AWS credentials configured: set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets");
  const bedrock = createBedrockClient({
    region: config.AWS_REGION,
    runtimeEndpoint: bedrockRuntimeEndpoint(config),
    controlEndpoint: bedrockControlEndpoint(config),
    credentials,
    // Called as a plain function: workerd throws "Illegal invocation" when fetch runs with another `this`.
    fetch: (input, init) => fetch(input, init),
    logger,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
    retries: config.UPSTREAM_RETRIES,
  });
  return {
    ok: true,
    state: {
      config,
      logger,
      bedrock,
      // Workers cannot LISTEN: the catalogue is reloaded from the table at most KEY_CACHE_TTL_MS after a change.
      catalogue: databaseCatalogue({ ttlMs: config.KEY_CACHE_TTL_MS, now: () => Date.now(), logger }),
      reasoningStore: createReasoningStore(),
    },
  };
}
