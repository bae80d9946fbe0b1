import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, numeric, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

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
    // Governance columns: nullable and unused for now, so later features need no migration of existing rows.
    allowedModels: text("allowed_models").array(),
    rpmLimit: integer("rpm_limit"),
    tpmLimit: integer("tpm_limit"),
    budgetUsd: numeric("budget_usd", { precision: 18, scale: 8, mode: "number" }),
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
    keyId: text("key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "restrict" }),
    userEmail: text("user_email").notNull(),
    team: text("team"),
    endpoint: text("endpoint", { enum: ["chat.completions", "embeddings"] }).notNull(),
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
    costUsd: numeric("cost_usd", { precision: 18, scale: 8, mode: "number" }).notNull().default(0),
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
