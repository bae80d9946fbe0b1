import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
/** Micro-dollars (1 USD = 1,000,000) as JavaScript numbers: exact up to 2^53 µ$, about 9 billion USD. */
const micros = (name: string) => bigint(name, { mode: "number" });

/** The policy every level (key, user, team) can carry; null means "no limit at this level". */
const policyColumns = () => ({
  /** Model ids, aliases or wildcards (`anthropic.*`); null = every model the level above allows. */
  allowedModels: text("allowed_models").array(),
  rpmLimit: integer("rpm_limit"),
  tpmLimit: integer("tpm_limit"),
  budgetDailyMicros: micros("budget_daily_micros"),
  budgetMonthlyMicros: micros("budget_monthly_micros"),
});

export const users = pgTable("users", {
  email: text("email").primaryKey(),
  ...policyColumns(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const teams = pgTable("teams", {
  name: text("name").primaryKey(),
  ...policyColumns(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** Integer micro-dollars per million tokens (USD 3 per million = 3,000,000); a missing cache rate means no caching price. */
export type PriceRow = { input: number; output: number; cacheRead?: number; cacheWrite?: number };
export type TargetRow = { modelId: string; region?: string; price?: PriceRow };

export const models = pgTable("models", {
  /** The public name clients send as `model`. */
  alias: text("alias").primaryKey(),
  aliases: text("aliases").array().notNull().default(sql`'{}'`),
  kind: text("kind", { enum: ["chat", "embedding"] })
    .notNull()
    .default("chat"),
  /** Ordered: routing tries them in this order. */
  targets: jsonb("targets").$type<TargetRow[]>().notNull(),
  /** null: the price is unknown (no cost can be computed; budgeted keys cannot use the model). */
  price: jsonb("price").$type<PriceRow | null>(),
  longContext: jsonb("long_context").$type<{ aboveInputTokens: number; price: PriceRow } | null>(),
  /** Overrides of the capabilities the gateway derives from the model id (see src/models/capabilities.ts). */
  capabilities: jsonb("capabilities").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  enabled: boolean("enabled").notNull().default(true),
  source: text("source"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** Requests and tokens per subject (`key:…`, `user:…`, `team:…`) and minute; the source of truth for rpm/tpm. */
export const rateWindows = pgTable(
  "rate_windows",
  {
    subject: text("subject").notNull(),
    windowStart: bigint("window_start", { mode: "number" }).notNull(),
    requests: integer("requests").notNull().default(0),
    tokens: bigint("tokens", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ name: "rate_windows_pk", columns: [t.subject, t.windowStart] })],
);

/** Admission lease releases already applied (bgw_release, migration 0005), so a retried one is applied once. */
export const admissionReleases = pgTable(
  "admission_releases",
  {
    id: text("id").primaryKey(),
    releasedAt: tstz("released_at").notNull().defaultNow(),
  },
  (t) => [index("admission_releases_released_at_idx").on(t.releasedAt)],
);

/** Spend and open reservations per subject and UTC period (`d2026-12-02`, `m2026-12`); budgets are checked against it. */
export const spendLedger = pgTable(
  "spend_ledger",
  {
    subject: text("subject").notNull(),
    period: text("period").notNull(),
    spentMicros: micros("spent_micros").notNull().default(0),
    reservedMicros: micros("reserved_micros").notNull().default(0),
  },
  (t) => [primaryKey({ name: "spend_ledger_pk", columns: [t.subject, t.period] })],
);

/** Admin console sessions: only a hash of the session id is stored. */
export const adminSessions = pgTable("admin_sessions", {
  idHash: text("id_hash").primaryKey(),
  csrfToken: text("csrf_token").notNull(),
  clientIp: text("client_ip"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  expiresAt: tstz("expires_at").notNull(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    /** Hex SHA-256 of the full key: the plaintext is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    /** The visible start of the key (`bgw_live_ab12cd`), shown in listings and accepted by `keys revoke`. */
    prefix: text("prefix").notNull().unique(),
    name: text("name"),
    userEmail: text("user_email").notNull(),
    team: text("team"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    lastUsedAt: tstz("last_used_at"),
    revokedAt: tstz("revoked_at"),
    expiresAt: tstz("expires_at"),
    ...policyColumns(),
    /** Set by `keys rotate`: the key that replaces this one (which then expires after its grace period). */
    replacedBy: text("replaced_by"),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
  },
  (t) => [index("api_keys_user_email_idx").on(t.userEmail), index("api_keys_team_idx").on(t.team)],
);

export const usageEvents = pgTable(
  "usage_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** One row per gateway request: writes are idempotent (`on conflict (request_id) do nothing`). */
    requestId: text("request_id").notNull().unique(),
    /** null for callers authenticated by a JWT (`auth = 'jwt'`). */
    keyId: text("key_id").references(() => apiKeys.id, { onDelete: "restrict" }),
    auth: text("auth", { enum: ["key", "jwt"] })
      .notNull()
      .default("key"),
    userEmail: text("user_email").notNull(),
    team: text("team"),
    /** The door the request came in by. */
    endpoint: text("endpoint").notNull(),
    /** The model as the client asked for it. */
    model: text("model").notNull(),
    bedrockModelId: text("bedrock_model_id"),
    stream: boolean("stream").notNull().default(false),
    status: text("status", { enum: ["ok", "error", "aborted"] }).notNull(),
    httpStatus: integer("http_status"),
    errorCode: text("error_code"),
    stopReason: text("stop_reason"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    cacheReadTokens: integer("cache_read_tokens").notNull().default(0),
    cacheWriteTokens: integer("cache_write_tokens").notNull().default(0),
    /** True when token counts were estimated because the stream ended before Bedrock reported usage. */
    estimated: boolean("estimated").notNull().default(false),
    /** tokens × price, rounded half up once per request; 0 with cost_known = false when the price is unknown. */
    costMicros: micros("cost_micros").notNull().default(0),
    costKnown: boolean("cost_known").notNull().default(true),
    /** The prices this row was charged at, so later price changes never rewrite history. */
    price: jsonb("price").$type<Record<string, unknown> | null>(),
    /** The region of the target that served the request (its id is bedrock_model_id) and how many attempts it took. */
    targetRegion: text("target_region"),
    attempts: integer("attempts").notNull().default(0),
    /** What admission counted and reserved, released when the row is written (see db/usage.ts). */
    lease: jsonb("lease").$type<Record<string, unknown> | null>(),
    latencyMs: integer("latency_ms").notNull().default(0),
    ttftMs: integer("ttft_ms"),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("usage_events_key_created_idx").on(t.keyId, t.createdAt),
    index("usage_events_user_created_idx").on(t.userEmail, t.createdAt),
    index("usage_events_team_created_idx").on(t.team, t.createdAt),
    index("usage_events_model_created_idx").on(t.model, t.createdAt),
    index("usage_events_created_idx").on(t.createdAt),
    index("usage_events_auth_created_idx").on(t.auth, t.createdAt),
  ],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [index("audit_log_target_created_idx").on(t.target, t.createdAt)],
);

/**
 * Responses kept for `previous_response_id` and `GET /v1/responses/{id}` (requests with `store` not false), owned
 * by the caller (`key:<id>` or `user:<email>`) and gone after RESPONSES_TTL_HOURS. `input_items` is the whole
 * context the response answered (earlier turns included) and `output_items` its output, both with the signed
 * thinking blocks of reasoning items, so the next turn can be rebuilt from this one row.
 */
export const storedResponses = pgTable(
  "responses",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    model: text("model").notNull(),
    status: text("status").notNull(),
    response: jsonb("response").$type<Record<string, unknown>>().notNull(),
    inputItems: jsonb("input_items").$type<Record<string, unknown>[]>().notNull(),
    outputItems: jsonb("output_items").$type<Record<string, unknown>[]>().notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
  },
  (t) => [index("responses_owner_idx").on(t.owner), index("responses_expires_idx").on(t.expiresAt)],
);
