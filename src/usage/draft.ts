/**
 * The usage row of one authenticated request, filled in as the request proceeds and written exactly once,
 * when the response (or the stream) ends, fails or is abandoned by the client.
 */
import type { ModelEntry } from "../catalogue";
import type { Deps, RequestScope } from "../deps";
import type { UsageRow } from "../db/usage";
import { costUsd, type NormalizedUsage } from "../translate/usage";
import { insertWithRetry } from "./batch-writer";

export type UsageEndpoint = "chat.completions" | "embeddings";

export type UsageDraft = {
  requestId: string;
  keyId: string;
  userEmail: string;
  team: string | null;
  endpoint: UsageEndpoint;
  model: string | null;
  bedrockModelId: string | null;
  price: ModelEntry["price"] | null;
  stream: boolean;
  startedAt: number;
  ttftMs: number | null;
  usage: NormalizedUsage | null;
  /** Token counts were estimated (the upstream never reported them). */
  estimated: boolean;
  stopReason: string | null;
  /** A stream owns the row now and settles it when it ends. */
  deferred: boolean;
  settled: boolean;
  /** Where this request's row goes (the runtime's per-request database, or the process-wide one). */
  scope: RequestScope;
};

export type UsageOutcome = { status: "ok" | "error" | "aborted"; httpStatus: number; errorCode: string | null };

export function toUsageRow(d: UsageDraft, outcome: UsageOutcome, now: number): UsageRow {
  const u = d.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  return {
    requestId: d.requestId,
    keyId: d.keyId,
    userEmail: d.userEmail,
    team: d.team,
    endpoint: d.endpoint,
    model: d.model ?? "",
    bedrockModelId: d.bedrockModelId,
    stream: d.stream,
    status: outcome.status,
    httpStatus: outcome.httpStatus,
    errorCode: outcome.errorCode,
    stopReason: d.stopReason,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    estimated: d.estimated,
    costUsd: d.price ? costUsd(u, d.price) : 0,
    latencyMs: Math.max(0, Math.round(now - d.startedAt)),
    ttftMs: d.ttftMs,
    createdAt: new Date(d.startedAt),
  };
}

/** Settles the draft once: builds the row and writes it off the response path (batched where a writer is configured). */
export function settleUsage(deps: Pick<Deps, "clock" | "logger">, draft: UsageDraft, outcome: UsageOutcome): void {
  if (draft.settled) return;
  draft.settled = true;
  const row = toUsageRow(draft, outcome, deps.clock.now());
  const { db, waitUntil, usageWriter } = draft.scope;
  if (usageWriter) usageWriter.write(row);
  else waitUntil(insertWithRetry({ db, logger: deps.logger }, [row]));
}
