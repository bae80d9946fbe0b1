/**
 * Configuration: one zod schema, parsed once at the edge from a plain record (process.env, Worker env).
 * A bad value fails with a ConfigError naming each variable; zod output never reaches clients.
 */
import { z } from "zod";
import { DEFAULT_JWT_ALGORITHMS, isAllowedJwksUrl, isJwtAlgorithm, type JwtAlgorithm } from "./auth/jwt";
import { ModelSettingSchema, type ModelEntryInput } from "./catalogue";

const bool = (def: boolean) =>
  z
    .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no", "on", "off", ""])])
    .optional()
    .transform((v) => (v === undefined || v === "" ? def : v === true || v === "true" || v === "1" || v === "yes" || v === "on"));

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.number(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return def;
      const n = typeof v === "number" ? v : Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const url = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === "") return undefined;
    try {
      const u = new URL(v.trim());
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
      return u.toString().replace(/\/$/, "");
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
      return z.NEVER;
    }
  });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const models = z
  .string()
  .optional()
  .transform((v, ctx): ModelEntryInput[] => {
    if (v === undefined || v.trim() === "") return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of model entries" });
      return z.NEVER;
    }
    const r = z.array(ModelSettingSchema).safeParse(parsed);
    if (!r.success) {
      const i = r.error.issues[0]!;
      ctx.addIssue({ code: "custom", message: `entry ${i.path.join(".")}: ${i.message}` });
      return z.NEVER;
    }
    return parsed as ModelEntryInput[];
  });

const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const jwksUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === "") return undefined;
    if (!isAllowedJwksUrl(v.trim())) {
      ctx.addIssue({ code: "custom", message: "must be an https URL (http only on loopback)" });
      return z.NEVER;
    }
    return new URL(v.trim()).toString();
  });

const jwtAlgorithms = z
  .string()
  .optional()
  .transform((v, ctx): JwtAlgorithm[] => {
    const list = (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length === 0) return [...DEFAULT_JWT_ALGORITHMS];
    const bad = list.filter((a) => !isJwtAlgorithm(a));
    if (bad.length > 0) {
      // HS* would let anyone who reads the public key set forge tokens; `none` is no signature at all.
      ctx.addIssue({ code: "custom", message: `asymmetric algorithms only (RS*, PS*, ES*, EdDSA); not ${bad.join(", ")}` });
      return z.NEVER;
    }
    return list as JwtAlgorithm[];
  });

export const ConfigSchema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  /** PostgreSQL URL. Without it the Node/Bun entry points and the CLI use PGlite under DATA_DIR. */
  DATABASE_URL: optionalString,
  DATA_DIR: z.string().default("./data"),
  MIGRATE_ON_START: bool(true),
  /** How long Node and Bun wait for the database at start before giving up. */
  DB_CONNECT_TIMEOUT_MS: int(30_000, 0),
  /**
   * Longest wait for the database on a request's path (the key lookup) and for opening a connection to it;
   * past it the request answers 503 with `retry-after` instead of hanging on an unreachable database.
   */
  DB_QUERY_TIMEOUT_MS: int(2_000, 50, 600_000),
  /**
   * Connections each Node or Bun instance keeps to DATABASE_URL. Admission batches concurrent requests into few
   * statements, so a small pool serves thousands of requests; size it against Postgres's max_connections divided
   * by the number of instances (and a pooler such as PgBouncer in front for many instances).
   */
  DB_POOL_MAX: int(10, 1, 1_000),
  /**
   * Prepare the request path's statements (admission, settlement) once per pool connection, so each costs one
   * round trip instead of two. Set false behind a pooler in transaction mode that cannot keep prepared
   * statements (PgBouncer before 1.21, or with max_prepared_statements = 0).
   */
  DB_PREPARE: bool(true),
  /**
   * What admission does when the database cannot be asked (down, partitioned, past DB_QUERY_TIMEOUT_MS).
   * `fail-closed` (default): 503 with `retry-after`, never unmetered service. `fail-open`: a key already in the key
   * cache is served without its rate limits and budget reservation; its usage row is queued and charged to the
   * budgets when the database returns, so spend during an outage may pass a budget. Unknown keys are refused either way.
   */
  DB_OUTAGE_POLICY: z.enum(["fail-closed", "fail-open"]).default("fail-closed"),
  /**
   * Node and Bun: the most requests past its own that one admission may take for a caller sending many (an
   * admission lease), so the caller's next requests are admitted in memory without a round trip. Everything leased
   * is counted and reserved in the database, so limits and budgets hold across instances; an idle lease is given
   * back after a second. 0: every admission is a statement.
   */
  ADMISSION_LEASE_MAX: int(16, 0, 1_000),
  /** Usage rows kept in memory while the database is down (Node, Bun); from this many on, requests get 503. */
  USAGE_QUEUE_MAX: int(100_000, 1),
  /** Requests served at once by one instance (streams included); past it, 503 with `retry-after`. 0: no limit. */
  MAX_CONCURRENT_REQUESTS: int(2_048, 0),
  /** Requests at once per key (a JWT caller: per user); past it, 429. 0: no limit. */
  MAX_CONCURRENT_PER_KEY: int(0, 0),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as us-east-1")
    .default("us-east-1"),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  AWS_SESSION_TOKEN: optionalString,
  /** AWS's own per-service endpoint override convention. */
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url,
  AWS_ENDPOINT_URL_BEDROCK: url,
  /** JSON array of catalogue entries merged over the defaults (same id replaces). */
  MODELS: models,
  /** Allow `model` values that are not in the catalogue (passed to Bedrock as model ids). */
  ALLOW_UNLISTED_MODELS: bool(true),
  /** Also list what Bedrock itself offers (ListFoundationModels + ListInferenceProfiles) in GET /v1/models. */
  LIST_BEDROCK_MODELS: bool(false),
  /** Let clients send Bedrock-only fields (additionalModelRequestFields, guardrailConfig). */
  ALLOW_BEDROCK_PASSTHROUGH: bool(false),
  /** What to do with temperature > 1 (OpenAI allows 0–2, Bedrock 0–1). */
  TEMPERATURE_ABOVE_ONE: z.enum(["reject", "clamp"]).default("reject"),
  /** Fetch `https://` image URLs server-side (Node and Bun; public addresses only). Off: remote URLs answer 400. */
  ALLOW_REMOTE_IMAGES: bool(false),
  /** Largest remote image fetched; at most Bedrock's own per-image limit of 3.75 MB (3,932,160 bytes). */
  REMOTE_IMAGE_MAX_BYTES: int(3_932_160, 1, 3_932_160),
  /** Longest a remote image may take, from DNS lookup to its last byte. */
  REMOTE_IMAGE_TIMEOUT_MS: int(5_000, 100, 60_000),
  MAX_BODY_BYTES: int(32 * 1024 * 1024, 1024),
  /** Total time for all attempts of one call (backoff included) until Bedrock's first byte. */
  UPSTREAM_TIMEOUT_MS: int(120_000, 100),
  /** Per attempt: time until a stream's response headers (Bedrock accepted the request). */
  UPSTREAM_CONNECT_TIMEOUT_MS: int(10_000, 100),
  /**
   * Per attempt: time until the first byte (the whole answer of Converse and InvokeModel, a stream's first event).
   * As long as the deadline by default, since a plain call's whole answer can take minutes to generate.
   */
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS: int(120_000, 100),
  /** Longest silence tolerated inside a stream before it is ended with an error. */
  STREAM_IDLE_TIMEOUT_MS: int(60_000, 100),
  /** Further attempts after the first (retries of a target or fallbacks to the next), before the first byte only. */
  UPSTREAM_RETRIES: int(2, 0, 10),
  SHUTDOWN_TIMEOUT_MS: int(25_000, 0),
  /** How long a key lookup is cached; a revoked key stops working at most this long after revocation. 0 disables. */
  KEY_CACHE_TTL_MS: int(10_000, 0),
  /**
   * The admin credential: turns on the console at /admin and GET /admin/usage. Unset: both answer 404. At least
   * 16 characters, as it guards every key and budget.
   */
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
  /** The gateway's address as clients reach it (`https://gateway.example.com`): the base URL shown with new keys. */
  PUBLIC_URL: url,
  /** The identity provider's JWKS (`jwks_uri`); setting it turns on JWT bearer tokens besides API keys. */
  AUTH_JWKS_URL: jwksUrl,
  /** Exact `iss` of accepted tokens; required with AUTH_JWKS_URL. */
  AUTH_ISSUER: optionalString,
  /** Accepted `aud` values (comma-separated); required with AUTH_JWKS_URL. */
  AUTH_AUDIENCE: commaList,
  /** Claim naming the user (the user row whose policy applies). */
  AUTH_USER_CLAIM: optionalString.transform((v) => v ?? "email"),
  /** Claim naming the team (a string, or the first of an array); unset: JWT callers have no team. */
  AUTH_TEAM_CLAIM: optionalString,
  AUTH_JWT_ALGORITHMS: jwtAlgorithms,
  /** Origins allowed to call /v1 from a browser (comma-separated, or `*`); empty turns CORS off. */
  CORS_ALLOW_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Believe `x-forwarded-for` for the client address in the audit line (only behind a proxy that sets it). */
  TRUST_PROXY: bool(false),
  /** Serve Prometheus metrics on GET /metrics (Node and Bun). */
  METRICS_ENABLED: bool(true),
  /** When set, GET /metrics requires `Authorization: Bearer <this>`. */
  METRICS_TOKEN: optionalString,
  /** OTLP/HTTP collector base URL (OpenTelemetry's own variable); when set, Node and Bun export a span per request. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  /** How long stored responses (`POST /v1/responses` without `store: false`) are kept: 720 h = 30 days, as OpenAI keeps them. */
  RESPONSES_TTL_HOURS: int(720, 1, 24 * 365 * 10),
  /**
   * Secret from which the key sealing reasoning items' `encrypted_content` is derived (at least 32 characters).
   * Unset: a random key per process (per isolate on Workers), so sealed items do not survive a restart.
   */
  RESPONSES_SEAL_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, "must be at least 32 characters"),
});

/**
 * Settings that depend on each other. `when` runs the check even when another variable is bad, so every problem is
 * listed at once (values may then be missing, hence the type checks).
 */
const CheckedConfigSchema = ConfigSchema.superRefine(
  (c, ctx) => {
    if (typeof c.AUTH_JWKS_URL !== "string") return;
    const required = { code: "custom", message: "required when AUTH_JWKS_URL is set" } as const;
    if (typeof c.AUTH_ISSUER !== "string") ctx.addIssue({ ...required, path: ["AUTH_ISSUER"] });
    if (!Array.isArray(c.AUTH_AUDIENCE) || c.AUTH_AUDIENCE.length === 0) ctx.addIssue({ ...required, path: ["AUTH_AUDIENCE"] });
  },
  { when: () => true },
);

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly problems: { variable: string; message: string }[];
  constructor(problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Parses configuration from a flat record of strings (e.g. process.env). Unknown keys are ignored. */
export function parseConfig(source: Record<string, unknown>): Config {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    if (source[key] !== undefined) picked[key] = source[key];
  }
  const r = CheckedConfigSchema.safeParse(picked);
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.map((i) => ({ variable: String(i.path[0] ?? "?"), message: i.message })));
}

/** A region's runtime endpoint: AWS_ENDPOINT_URL_BEDROCK_RUNTIME (for every region) or the regional default. */
export function bedrockRuntimeEndpoint(config: Config, region: string = config.AWS_REGION): string {
  return config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** The control-plane endpoint (ListFoundationModels, ListInferenceProfiles). */
export function bedrockControlEndpoint(config: Config): string {
  return config.AWS_ENDPOINT_URL_BEDROCK ?? `https://bedrock.${config.AWS_REGION}.amazonaws.com`;
}
