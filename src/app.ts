import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { createAdminApp } from "./admin";
import type { AppEnv } from "./app-env";
import { cachedKeyLookup } from "./auth/key-cache";
import { apiKeyAuth } from "./auth/middleware";
import { createJwtVerifier, jwtVerifierOptions } from "./auth/jwt";
import { cachedPolicyLookup } from "./auth/policy-cache";
import { DatabaseUnavailableError, withDeadline } from "./db/deadline";
import { findPolicies as findPoliciesInDb, findPrincipalByHash } from "./db/keys";
import { authenticate } from "./gateway/authenticate";
import { concurrencyLimit, createConcurrencyLimiter } from "./gateway/concurrency";
import { inFlight } from "./gateway/in-flight";
import { scopeOf, type Deps } from "./deps";
import { renderError, type DoorErrorShapes } from "./doors/error-shapes";
import { GatewayError } from "./errors";
import { accessLog } from "./http/access-log";
import { requestId } from "./http/request-id";
import { bedrockDoorEntry } from "./doors/bedrock-native/entry";
import { bedrockErrorShape } from "./doors/bedrock-native/errors";
import { BEDROCK_OPERATIONS } from "./doors/bedrock-native/model-id";
import { registerBedrockNative } from "./doors/bedrock-native/route";
import { anthropicErrorShape } from "./doors/anthropic-messages/errors";
import { registerAnthropicMessages } from "./doors/anthropic-messages/route";
import { registerResponses } from "./doors/openai-responses/route";
import { registerChatCompletions } from "./routes/chat-completions";
import { registerEmbeddings } from "./routes/embeddings";
import { registerHealth } from "./routes/health";
import { registerModels } from "./routes/models";
import { registerUsage } from "./routes/usage";
import { usageTracking } from "./usage/middleware";

/** Error shapes of the doors other than OpenAI's, by path prefix (see doors/error-shapes.ts). */
export const DOOR_ERROR_SHAPES: DoorErrorShapes = [
  { prefix: "/v1/messages", shape: anthropicErrorShape },
  { prefix: "/bedrock/", shape: bedrockErrorShape },
];

/**
 * Builds the gateway. Pure composition: every collaborator arrives in `deps`; nothing reads the environment.
 * A runtime that needs a per-request database (Workers) passes it as a RequestScope in Hono's env, so the app
 * and its caches can still live for the whole process or isolate.
 */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(
    "*",
    requestId({ ids: deps.ids }),
    accessLog({ logger: deps.logger, clock: deps.clock, metrics: deps.metrics, trustProxy: deps.config.TRUST_PROXY, clientAddress: deps.clientAddress }),
  );
  if (deps.config.CORS_ALLOW_ORIGINS.length > 0) {
    // Browser clients: preflight answers before authentication, as browsers send OPTIONS without credentials;
    // the requested headers are echoed, since SDKs add their own (x-stainless-*).
    const origins = deps.config.CORS_ALLOW_ORIGINS;
    app.use(
      "/v1/*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        exposeHeaders: ["x-request-id", "x-gateway-warning", "retry-after"],
        maxAge: 600,
      }),
    );
  }
  // Every runtime gives each request the same scope (Workers: a per-request database in Hono's env).
  app.use("*", async function requestScope(c, next) {
    c.set("scope", scopeOf(c.env, deps));
    await next();
  });
  registerHealth(app, deps);
  // The admin console and its API exist only with an admin token; without one, /admin is the plain 404.
  if (deps.config.ADMIN_TOKEN) app.route("/admin", createAdminApp(deps));
  // Before authentication: scrapers do not hold gateway keys (METRICS_TOKEN guards it instead, if set).
  const scrape = deps.metrics?.scrape;
  if (scrape) app.get("/metrics", (c) => scrape(c.req.raw));

  // Request-path database calls are bounded: an unreachable or stalled database answers 503 within DB_QUERY_TIMEOUT_MS.
  const dbDeadline = deps.config.DB_QUERY_TIMEOUT_MS;
  // A key in use is read again in the background from half its ttl on, so its requests never wait on the lookup.
  const findKey = cachedKeyLookup((hash: string, env: unknown) => withDeadline(findPrincipalByHash(scopeOf(env, deps).db, hash), dbDeadline), {
    ttlMs: deps.config.KEY_CACHE_TTL_MS,
    refreshAfterMs: Math.floor(deps.config.KEY_CACHE_TTL_MS / 2),
    keepAlive: (work, env) => scopeOf(env, deps).waitUntil(work),
    clock: deps.clock,
  });
  const findPolicies = cachedPolicyLookup((user, team, env) => withDeadline(findPoliciesInDb(scopeOf(env, deps).db, user, team), dbDeadline), {
    ttlMs: deps.config.KEY_CACHE_TTL_MS,
    clock: deps.clock,
  });
  // An admin change announced by Postgres (LISTEN/NOTIFY, Node and Bun) drops what it invalidates at once.
  deps.changes?.subscribe((change) => {
    if (change.kind === "key") findKey.forget(change.keyHash);
    else if (change.kind === "policy") {
      findKey.clear();
      findPolicies.clear();
    } else deps.catalogue.invalidate();
  });
  const keyAuth = apiKeyAuth({ findKey, hash: deps.hashApiKey, clock: deps.clock, logger: deps.logger });
  const jwt = jwtVerifierOptions(deps.config);
  const auth = authenticate({
    deps: { ...deps, logger: deps.logger, clock: deps.clock },
    apiKeyAuth: keyAuth,
    jwt: jwt ? createJwtVerifier({ ...jwt, clock: deps.clock }) : null,
    findPolicies,
  });
  const streamLimited = bodyLimit({
    maxSize: deps.config.MAX_BODY_BYTES,
    onError: () => {
      throw GatewayError.payloadTooLarge(deps.config.MAX_BODY_BYTES);
    },
  });
  // A body with a Content-Length is judged by it here, without touching the request's body stream (on Node that
  // would build a WHATWG Request for nothing, see runtimes/node/request-fast-path.ts); hono/body-limit counts the rest.
  const bodyLimited: MiddlewareHandler<AppEnv> = (c, next) => {
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return streamLimited(c, next);
    if (Number.parseInt(length, 10) > deps.config.MAX_BODY_BYTES) throw GatewayError.payloadTooLarge(deps.config.MAX_BODY_BYTES);
    return next();
  };
  const concurrencyLimits = { instance: deps.config.MAX_CONCURRENT_REQUESTS, perCaller: deps.config.MAX_CONCURRENT_PER_KEY };
  const concurrency = concurrencyLimit({ limiter: createConcurrencyLimiter(concurrencyLimits), limits: concurrencyLimits, logger: deps.logger });
  // A door request's Bedrock calls are aborted by the client leaving, or by the graceful stop's drain deadline.
  const shutdownAware = inFlight(deps);
  // Every door, after its usage draft: the concurrency limits (refused at once, never queued), then the body limit.
  const limit: MiddlewareHandler<AppEnv> = (c, next) =>
    concurrency(c, async () => {
      await bodyLimited(c, async () => {
        await shutdownAware(c, next);
      });
    });
  app.use("/v1/*", auth);
  app.use("/v1/chat/completions", usageTracking(deps, "chat.completions"), limit);
  app.use("/v1/embeddings", usageTracking(deps, "embeddings"), limit);
  app.use("/v1/messages", usageTracking(deps, "messages"), limit);
  app.use("/v1/messages/count_tokens", usageTracking(deps, "messages"), limit);
  app.on("POST", "/v1/responses", usageTracking(deps, "responses"), limit);
  // Bedrock's own API (AWS SDKs, Claude Code's Bedrock mode): SigV4-signed requests are refused before authentication.
  app.use("/bedrock/*", bedrockDoorEntry(deps.logger), auth);
  for (const op of BEDROCK_OPERATIONS) app.use(`/bedrock/model/:modelId/${op}`, usageTracking(deps, `bedrock.${op}`), limit);

  registerChatCompletions(app, deps);
  registerEmbeddings(app, deps);
  registerAnthropicMessages(app, deps);
  registerResponses(app, deps);
  registerBedrockNative(app, deps);
  registerModels(app, deps);
  registerUsage(app, deps);

  const render = (c: Context<AppEnv>, gw: GatewayError) => {
    const { status, headers, body } = renderError(c.req.path, gw, DOOR_ERROR_SHAPES);
    const id = c.get("requestId");
    if (id) headers["x-request-id"] = id;
    return c.json(body as object, status as 400, headers);
  };

  app.notFound((c) => render(c, GatewayError.notFound(`Unknown request URL: ${c.req.method} ${c.req.path}.`, "unknown_url")));

  app.onError((err, c) => {
    const gw = toGatewayError(err, deps.config.MAX_BODY_BYTES);
    if (gw.status >= 500 && !(err instanceof GatewayError) && !(err instanceof DatabaseUnavailableError)) {
      deps.logger.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, error: err });
    } else if (gw.status >= 500 && gw.code !== "shutting_down") {
      // A request cut by the graceful stop has its own line (gateway/in-flight.ts).
      deps.logger.warn("request failed", { requestId: c.get("requestId"), path: c.req.path, status: gw.status, code: gw.code });
    }
    return render(c, gw);
  });

  return app;
}

function toGatewayError(err: unknown, maxBodyBytes: number): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof DatabaseUnavailableError) {
    return new GatewayError({
      status: 503,
      type: "server_error",
      code: "service_unavailable",
      message: "The gateway's database is unavailable right now. Try again shortly.",
      retryAfter: 1,
      cause: err,
    });
  }
  if (err instanceof HTTPException) {
    if (err.status === 400) {
      return GatewayError.invalidRequest(null, "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.", "invalid_json");
    }
    if (err.status === 413) return GatewayError.payloadTooLarge(maxBodyBytes);
    return new GatewayError({ status: err.status, type: "invalid_request_error", message: err.message || "Request failed." });
  }
  return GatewayError.internal();
}
