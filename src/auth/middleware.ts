import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Clock } from "../deps";
import type { ApiKeyRecord } from "../db/keys";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import { DatabaseUnavailableError, rootMessage } from "../db/deadline";
import { apiKeyPrefix, hashApiKey, looksLikeApiKey } from "./api-key";

const MISSING =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the x-api-key header.";
const INVALID = "Incorrect API key provided. Ask your gateway admin for a valid key.";

/** Why a request was refused, as logged (the response is the same 401 for all but a missing key). */
export type RejectReason = "missing_key" | "malformed_key" | "unknown_key" | "revoked_key" | "expired_key";

/** Takes the key from `Authorization: Bearer …` or `x-api-key`. */
export function extractApiKey(authorization: string | undefined, xApiKey: string | undefined): string | null {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m) return m[1]!;
  }
  return xApiKey?.trim() || null;
}

/**
 * Authenticates by SHA-256 hash lookup: the plaintext key is never compared, stored or logged.
 * Malformed, unknown, revoked and expired keys all answer the same 401 `invalid_api_key`, as OpenAI does, so a
 * response never tells whether a key exists; the log line says why, with the key's visible prefix when the token
 * has the gateway's key format (never any part of a token that does not).
 */
export function apiKeyAuth(opts: {
  /** `env` is Hono's `c.env`, which may carry the request's database (see scopeOf). */
  findKey: (hash: string, env: unknown) => Promise<ApiKeyRecord | null>;
  hash?: (key: string) => string | Promise<string>;
  clock: Clock;
  logger: Logger;
}): MiddlewareHandler<AppEnv> {
  const hash = opts.hash ?? hashApiKey;
  return async function apiKeyAuth(c, next) {
    const token = extractApiKey(c.req.header("authorization"), c.req.header("x-api-key"));
    const reject = (reason: RejectReason, message = INVALID) => {
      const keyPrefix = token && looksLikeApiKey(token) ? apiKeyPrefix(token) : undefined;
      opts.logger.info("request rejected", { requestId: c.get("requestId"), reason, keyPrefix, path: c.req.path });
      return GatewayError.invalidApiKey(message);
    };
    if (!token) throw reject("missing_key", MISSING);
    if (!looksLikeApiKey(token)) throw reject("malformed_key");
    let key: ApiKeyRecord | null;
    try {
      key = await opts.findKey(await hash(token), c.env);
    } catch (err) {
      // Fail closed: without the key store no request is admitted. The client may retry at once: the lookup is
      // bounded (DB_QUERY_TIMEOUT_MS), so a retry costs it no more than this answer did.
      opts.logger.error("key lookup failed", {
        requestId: c.get("requestId"),
        timeout: err instanceof DatabaseUnavailableError && !err.cause,
        error: rootMessage(err),
      });
      throw new GatewayError({
        status: 503,
        type: "server_error",
        code: "service_unavailable",
        message: "The gateway cannot verify API keys right now. Try again shortly.",
        retryAfter: 1,
        cause: err,
      });
    }
    if (!key) throw reject("unknown_key");
    if (key.revokedAt) throw reject("revoked_key");
    if (key.expiresAt && key.expiresAt.getTime() <= opts.clock.now()) throw reject("expired_key");
    c.set("apiKey", key);
    await next();
  };
}
