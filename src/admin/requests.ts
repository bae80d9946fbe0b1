// The latest usage rows for the Requests page: who, which model, how it ended, tokens, cost and timings. The
// usage table holds no prompt or completion text, and nothing here reads any.
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, usageEvents } from "../db/schema";

export type RequestFilter = { user?: string; team?: string; model?: string; status?: "ok" | "error" | "aborted"; key?: string; before?: number };

export type RequestRow = {
  id: number;
  requestId: string;
  createdAt: Date;
  user: string;
  team: string | null;
  keyPrefix: string | null;
  model: string;
  endpoint: string;
  stream: boolean;
  status: string;
  httpStatus: number | null;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicros: number;
  costKnown: boolean;
  estimated: boolean;
  latencyMs: number;
  ttftMs: number | null;
};

export const REQUEST_STATUSES = ["ok", "error", "aborted"] as const;
export const MAX_REQUEST_ROWS = 200;

/** Newest first; `before` (a row id) pages back. */
export async function latestRequests(db: Db, filter: RequestFilter, limit = 100): Promise<RequestRow[]> {
  const where: SQL[] = [];
  if (filter.user) where.push(eq(usageEvents.userEmail, filter.user));
  if (filter.team) where.push(eq(usageEvents.team, filter.team));
  if (filter.model) where.push(eq(usageEvents.model, filter.model));
  if (filter.status) where.push(eq(usageEvents.status, filter.status));
  if (filter.key) where.push(eq(apiKeys.prefix, filter.key));
  if (filter.before !== undefined) where.push(lt(usageEvents.id, filter.before));
  return db
    .select({
      id: usageEvents.id,
      requestId: usageEvents.requestId,
      createdAt: usageEvents.createdAt,
      user: usageEvents.userEmail,
      team: usageEvents.team,
      keyPrefix: apiKeys.prefix,
      model: usageEvents.model,
      endpoint: usageEvents.endpoint,
      stream: usageEvents.stream,
      status: usageEvents.status,
      httpStatus: usageEvents.httpStatus,
      errorCode: usageEvents.errorCode,
      inputTokens: usageEvents.inputTokens,
      outputTokens: usageEvents.outputTokens,
      cacheReadTokens: usageEvents.cacheReadTokens,
      cacheWriteTokens: usageEvents.cacheWriteTokens,
      costMicros: usageEvents.costMicros,
      costKnown: usageEvents.costKnown,
      estimated: usageEvents.estimated,
      latencyMs: usageEvents.latencyMs,
      ttftMs: usageEvents.ttftMs,
    })
    .from(usageEvents)
    .leftJoin(apiKeys, eq(apiKeys.id, usageEvents.keyId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(usageEvents.id))
    .limit(Math.min(Math.max(1, limit), MAX_REQUEST_ROWS));
}
