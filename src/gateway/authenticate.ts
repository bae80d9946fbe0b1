/**
 * The admit step's first part, the same for every door: who is calling. A gateway key goes through the key
 * middleware (hash lookup, cached); a JWT, when an identity provider is configured, is verified against its JWKS
 * and takes the policies of its user and team rows. Either way the request leaves with `c.var.identity`.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { extractApiKey } from "../auth/middleware";
import { JwtAuthError, looksLikeJwt, type JwtVerifier } from "../auth/jwt";
import { touchKey, type KeyPrincipal } from "../db/keys";
import type { Clock } from "../deps";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import type { Policy } from "../policy/limits";
import { identityOfJwt, identityOfKey } from "./identity";
import { scopeOf, type Deps } from "../deps";

// last_used_at is written at most once a minute per key and instance, off the response path.
const TOUCH_EVERY_MS = 60_000;

export type PolicyLookup = (user: string, team: string | null, env: unknown) => Promise<{ userPolicy: Policy | null; teamPolicy: Policy | null }>;

export function authenticate(opts: {
  deps: Pick<Deps, "db" | "waitUntil" | "usageWriter"> & { logger: Logger; clock: Clock };
  apiKeyAuth: MiddlewareHandler<AppEnv>;
  jwt: JwtVerifier | null;
  findPolicies: PolicyLookup;
}): MiddlewareHandler<AppEnv> {
  const touched = new Map<string, number>();
  return async function authenticate(c, next) {
    const token = opts.jwt ? extractApiKey(c.req.header("authorization"), c.req.header("x-api-key")) : null;
    if (opts.jwt && token && looksLikeJwt(token)) {
      let claims: Awaited<ReturnType<JwtVerifier["verify"]>>;
      try {
        claims = await opts.jwt.verify(token);
      } catch (err) {
        const reason = err instanceof JwtAuthError ? err.reason : "malformed";
        opts.deps.logger.info("request rejected", { requestId: c.get("requestId"), reason: `jwt_${reason}`, path: c.req.path });
        if (reason === "jwks_unavailable") {
          throw new GatewayError({
            status: 503,
            type: "server_error",
            code: "service_unavailable",
            message: "The gateway cannot verify tokens right now (its identity provider's keys are unreachable). Try again shortly.",
            retryAfter: 5,
          });
        }
        throw GatewayError.invalidApiKey("The bearer token is not valid for this gateway.");
      }
      const p = await opts.findPolicies(claims.user, claims.team, c.env);
      c.set("identity", identityOfJwt(claims.user, claims.team, p.userPolicy, p.teamPolicy));
      return next();
    }
    return opts.apiKeyAuth(c, async () => {
      const key = c.get("apiKey") as KeyPrincipal;
      c.set("identity", identityOfKey(key));
      const now = opts.deps.clock.now();
      if ((touched.get(key.id) ?? 0) < now - TOUCH_EVERY_MS) {
        touched.set(key.id, now);
        if (touched.size > 50_000) touched.clear();
        const scope = scopeOf(c.env, opts.deps as Deps);
        scope.waitUntil(touchKey(scope.db, key.id, new Date(now)).catch(() => touched.delete(key.id)));
      }
      await next();
    });
  };
}
