/**
 * OIDC/JWT bearer tokens from the company's identity provider, verified against its JWKS.
 * Web-standard only (jose over Web Crypto and an injectable fetch), so it runs unchanged on Node, Bun and Workers.
 *
 * Only asymmetric algorithms are accepted: with a public JWKS, an HMAC (HS*) token could be forged by anyone who
 * guesses or reads the "secret" (the classic algorithm-confusion attack, RFC 8725 §2.1 and §3.1), and `none`
 * carries no signature at all.
 */
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Config } from "../config";
import type { Clock } from "../deps";

/** The algorithms the verifier can be configured with (RFC 7518 §3.1, RFC 8037, RFC 9864). */
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ["RS256", "ES256", "PS256", "EdDSA"];

export function isJwtAlgorithm(alg: unknown): alg is JwtAlgorithm {
  return typeof alg === "string" && (JWT_ALGORITHMS as readonly string[]).includes(alg);
}

export type JwtAuthReason =
  | "expired"
  | "not_yet_valid"
  | "bad_signature"
  | "wrong_issuer"
  | "wrong_audience"
  | "unknown_kid"
  | "bad_alg"
  | "missing_user_claim"
  | "malformed"
  | "jwks_unavailable";

/**
 * Why a token was refused. Every reason but `jwks_unavailable` is the caller's fault (401); `jwks_unavailable` means
 * the identity provider's key set could not be fetched, so the gateway cannot tell (503). Messages never contain
 * the token or its claims.
 */
export class JwtAuthError extends Error {
  readonly reason: JwtAuthReason;
  constructor(reason: JwtAuthReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JwtAuthError";
    this.reason = reason;
  }
}

export type JwtIdentity = {
  /** The user claim (`email` by default): the user row whose policy applies. */
  user: string;
  /** The team claim, when configured and present (a string, or the first string of an array). */
  team: string | null;
  /** `sub`, the identity provider's stable id for the principal (the user claim when a token has no `sub`). */
  subject: string;
  expiresAt: Date | null;
};

export type JwtVerifierOptions = {
  /** The identity provider's `jwks_uri`: https, or http on loopback. */
  jwksUrl: string | URL;
  /** Exact `iss` value required. */
  issuer: string;
  /** Accepted `aud` values; a token is accepted when its audience contains any of them. */
  audience: string | readonly string[];
  /** Claim naming the user. Default `email`. */
  userClaim?: string;
  /** Claim naming the team; unset means tokens carry no team. */
  teamClaim?: string | null;
  algorithms?: readonly JwtAlgorithm[];
  /** Used for every JWKS request. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Time for `exp`/`nbf` checks. Default: the wall clock. */
  clock?: Clock;
  /** How long a fetched key set is used before it is fetched again. Default 10 minutes. */
  cacheTtlMs?: number;
  /**
   * After a fetch, how long a token with an unknown `kid` is refused without fetching again, so a stream of tokens
   * with made-up key ids cannot turn into a stream of requests to the identity provider. Default 30 s.
   */
  cooldownMs?: number;
  /** Timeout of one JWKS request. Default 5 s. */
  fetchTimeoutMs?: number;
  /** Allowed clock skew between the identity provider and the gateway for `exp` and `nbf`. Default 30 s. */
  clockToleranceSeconds?: number;
};

export type JwtVerifier = {
  /** Resolves to the caller's identity, or rejects with a JwtAuthError. */
  verify(token: string): Promise<JwtIdentity>;
};

/** Longer bearer tokens are refused before any parsing or key lookup. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/**
 * Cheap shape check for routing a bearer token: three non-empty base64url segments (JWS compact serialization,
 * RFC 7515 §7.1). It does not decode anything; `verify` does the real checks.
 */
export function looksLikeJwt(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH) return false;
  const parts = token.split(".");
  return parts.length === 3 && parts.every((p) => SEGMENT.test(p));
}

/** https anywhere; plain http only to this machine (a local identity provider or a test server). */
export function isAllowedJwksUrl(url: string | URL): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === "https:") return true;
  if (u.protocol !== "http:") return false;
  return LOOPBACK_HOSTS.has(u.hostname) || /^127(\.\d{1,3}){3}$/.test(u.hostname);
}

/** Verifier options from the configuration, or null when JWT authentication is off (no AUTH_JWKS_URL). */
export function jwtVerifierOptions(config: Config): JwtVerifierOptions | null {
  if (!config.AUTH_JWKS_URL || !config.AUTH_ISSUER || config.AUTH_AUDIENCE.length === 0) return null;
  return {
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    userClaim: config.AUTH_USER_CLAIM,
    teamClaim: config.AUTH_TEAM_CLAIM ?? null,
    algorithms: config.AUTH_JWT_ALGORITHMS,
  };
}

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  if (!isAllowedJwksUrl(opts.jwksUrl)) throw new TypeError("jwksUrl must be an https URL (http only on loopback)");
  if (!opts.issuer) throw new TypeError("issuer is required");
  const audience = typeof opts.audience === "string" ? [opts.audience] : [...opts.audience];
  if (audience.length === 0 || audience.some((a) => !a)) throw new TypeError("audience is required");
  const algorithms = [...(opts.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  if (algorithms.length === 0) throw new TypeError("algorithms must not be empty");
  for (const alg of algorithms) {
    if (!isJwtAlgorithm(alg)) throw new TypeError(`algorithm ${String(alg)} is not an accepted asymmetric JWS algorithm`);
  }
  const userClaim = opts.userClaim || "email";
  const teamClaim = opts.teamClaim || null;
  const clock = opts.clock ?? { now: () => Date.now() };
  const clockTolerance = opts.clockToleranceSeconds ?? 30;

  // jose caches the set, fetches it again when it is older than cacheMaxAge or a kid is unknown (at most once per
  // cooldown) and shares one request between concurrent misses
  // (https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md). Its cache ages by
  // the wall clock; `clock` governs only the token's own times.
  const remote = createRemoteJWKSet(new URL(opts.jwksUrl), {
    cacheMaxAge: opts.cacheTtlMs ?? 10 * 60_000,
    cooldownDuration: opts.cooldownMs ?? 30_000,
    timeoutDuration: opts.fetchTimeoutMs ?? 5_000,
    [customFetch]: opts.fetch,
  });
  // Key lookup failures are told apart here, before they can be confused with failures of the token itself
  // (a network error is a TypeError, as are some malformed-claim errors).
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) {
        throw new JwtAuthError("unknown_kid", "The token's signing key is not in the identity provider's key set.");
      }
      if (err instanceof errors.JWKSMultipleMatchingKeys) {
        throw new JwtAuthError("unknown_kid", "The token has no key id and several keys of the key set could match.");
      }
      if (err instanceof errors.JOSENotSupported) {
        throw new JwtAuthError("bad_alg", "The token's algorithm is not supported.");
      }
      throw new JwtAuthError("jwks_unavailable", "The identity provider's key set could not be fetched.", {
        cause: err instanceof Error ? err.message : String(err),
      });
    }
  };

  return {
    async verify(token) {
      if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || token.split(".").length !== 3) {
        throw new JwtAuthError("malformed", "The bearer token is not a JWT.");
      }
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new JwtAuthError("malformed", "The token's header is not valid.");
      }
      // Checked before any key lookup, so `none`, HS* and junk never cause a JWKS request.
      if (!isJwtAlgorithm(alg) || !algorithms.includes(alg)) {
        throw new JwtAuthError("bad_alg", "The token's algorithm is not accepted.");
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms,
          issuer: opts.issuer,
          audience,
          clockTolerance,
          currentDate: new Date(clock.now()),
        }));
      } catch (err) {
        throw toJwtAuthError(err);
      }
      return identityOf(payload, userClaim, teamClaim);
    },
  };
}

function toJwtAuthError(err: unknown): JwtAuthError {
  if (err instanceof JwtAuthError) return err;
  if (err instanceof errors.JWTExpired) return new JwtAuthError("expired", "The token has expired.");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return new JwtAuthError("wrong_issuer", "The token was issued by another issuer.");
    if (err.claim === "aud") return new JwtAuthError("wrong_audience", "The token is meant for another audience.");
    if (err.claim === "nbf") return new JwtAuthError("not_yet_valid", "The token is not valid yet.");
    return new JwtAuthError("malformed", `The token's "${err.claim}" claim is not valid.`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new JwtAuthError("bad_signature", "The token's signature does not verify.");
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new JwtAuthError("bad_alg", "The token's algorithm is not accepted.");
  return new JwtAuthError("malformed", "The token is not a valid JWT.");
}

function identityOf(payload: JWTPayload, userClaim: string, teamClaim: string | null): JwtIdentity {
  const user = payload[userClaim];
  if (typeof user !== "string" || user.trim() === "") {
    throw new JwtAuthError("missing_user_claim", `The token has no "${userClaim}" claim.`);
  }
  let team: string | null = null;
  if (teamClaim) {
    const t = payload[teamClaim];
    const first = Array.isArray(t) ? t[0] : t;
    if (typeof first === "string" && first.trim() !== "") team = first.trim();
  }
  const subject = typeof payload.sub === "string" && payload.sub !== "" ? payload.sub : user.trim();
  return {
    user: user.trim(),
    team,
    subject,
    expiresAt: typeof payload.exp === "number" ? new Date(payload.exp * 1000) : null,
  };
}
