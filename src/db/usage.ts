import { and, desc, eq, gte, lt, sql, type AnyColumn } from "drizzle-orm";
import type { Db } from "./client";
import { usageEvents } from "./schema";

/** One gateway request, as recorded in `usage_events`. Optional fields default to null / 0 / false / now(). */
export type UsageRow = {
  /** The gateway's request id: writing the same id twice keeps the first row. */
  requestId: string;
  keyId: string;
  userEmail: string;
  team?: string | null;
  endpoint: "chat.completions" | "embeddings";
  /** The model as the client asked for it. */
  model: string;
  bedrockModelId?: string | null;
  stream: boolean;
  status: "ok" | "error" | "aborted";
  httpStatus?: number | null;
  errorCode?: string | null;
  stopReason?: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Token counts were estimated because the stream ended before Bedrock reported usage. */
  estimated?: boolean;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number | null;
  /** From the injected clock; the database default (now()) when omitted. */
  createdAt?: Date;
};

export type UsageGroupBy = "user" | "team" | "model" | "key";

export type UsageSummaryQuery = {
  groupBy: UsageGroupBy;
  since?: Date;
  until?: Date;
  user?: string;
  team?: string;
  keyId?: string;
};

export type UsageSummaryRow = {
  /** The user email, team, model or key id (null for rows without a team). */
  group: string | null;
  /** What to show for the group: the key prefix when grouping by key, else the group itself. */
  label: string | null;
  requests: number;
  /** Requests whose status was not `ok` (errors and client aborts). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
};

// Keeps each INSERT far below Postgres's 65,535 bind parameters (21 columns a row).
const BATCH_SIZE = 500;

/** Inserts one usage row; returns false when a row with the same request id already exists. */
export async function insertUsage(db: Db, row: UsageRow): Promise<boolean> {
  const inserted = await db
    .insert(usageEvents)
    .values(row)
    .onConflictDoNothing({ target: usageEvents.requestId })
    .returning({ id: usageEvents.id });
  return inserted.length > 0;
}

/** Inserts many rows (duplicates by request id are skipped); returns how many were new. */
export async function insertUsageBatch(db: Db, rows: readonly UsageRow[]): Promise<number> {
  let count = 0;
  for (let i = 0; i < rows.length; i += BATCH_SIZE) {
    const inserted = await db
      .insert(usageEvents)
      .values(rows.slice(i, i + BATCH_SIZE))
      .onConflictDoNothing({ target: usageEvents.requestId })
      .returning({ id: usageEvents.id });
    count += inserted.length;
  }
  return count;
}

const GROUP_COLUMNS = {
  user: usageEvents.userEmail,
  team: usageEvents.team,
  model: usageEvents.model,
  key: usageEvents.keyId,
} as const;

const total = (col: AnyColumn) => sql<number>`coalesce(sum(${col}), 0)`.mapWith(Number);

/** Requests, tokens and cost per user, team, model or key, most expensive first. */
export async function usageSummary(db: Db, q: UsageSummaryQuery): Promise<UsageSummaryRow[]> {
  const group = GROUP_COLUMNS[q.groupBy];
  const label =
    q.groupBy === "key"
      ? sql<string | null>`(select k.prefix from api_keys k where k.id = ${usageEvents.keyId})`
      : sql<string | null>`${group}`;
  return db
    .select({
      group: sql<string | null>`${group}`,
      label,
      requests: sql<number>`count(*)`.mapWith(Number),
      errors: sql<number>`count(*) filter (where ${usageEvents.status} <> 'ok')`.mapWith(Number),
      inputTokens: total(usageEvents.inputTokens),
      outputTokens: total(usageEvents.outputTokens),
      cacheReadTokens: total(usageEvents.cacheReadTokens),
      cacheWriteTokens: total(usageEvents.cacheWriteTokens),
      costUsd: total(usageEvents.costUsd),
    })
    .from(usageEvents)
    .where(
      and(
        q.since && gte(usageEvents.createdAt, q.since),
        q.until && lt(usageEvents.createdAt, q.until),
        q.user === undefined ? undefined : eq(usageEvents.userEmail, q.user),
        q.team === undefined ? undefined : eq(usageEvents.team, q.team),
        q.keyId === undefined ? undefined : eq(usageEvents.keyId, q.keyId),
      ),
    )
    .groupBy(group)
    .orderBy(desc(sql`sum(${usageEvents.costUsd})`), desc(sql`count(*)`), sql`${group} nulls last`);
}
