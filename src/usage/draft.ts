/**
 * The usage row of one authenticated request, filled in as the request proceeds and written exactly once,
 * when the response (or the stream) ends, fails or is abandoned by the client.
 */
import type { Deps, RequestScope } from "../deps";
import type { UsageLease, UsageRow } from "../db/usage";
import type { NormalizedUsage } from "../translate/usage";
import { costMicros, effectivePrice, type Pricing } from "./cost";
import { insertWithRetry } from "./batch-writer";

/** The door a request came in by, as recorded in `usage_events.endpoint`. */
export type UsageEndpoint = "chat.completions" | "embeddings" | "messages" | "responses" | `bedrock.${string}`;

export type UsageDraft = {
  requestId: string;
  auth: "key" | "jwt";
  keyId: string | null;
  userEmail: string;
  team: string | null;
  endpoint: UsageEndpoint;
  model: string | null;
  /** The target that served (or was last tried): its Bedrock id and region, and how many upstream attempts were made. */
  bedrockModelId: string | null;
  targetRegion: string | null;
  attempts: number;
  /** The served target's prices; null = unknown (the row then records cost_known = false). */
  pricing: Pricing | null;
  /** What admission counted and reserved; released when the row is written. */
  lease: UsageLease | null;
  /** Which limit refused the request (`rpm:key`, `daily:team`…), for the access log. */
  refusedBy: string | null;
  /** Admitted without limits or reservation while the database was unavailable (DB_OUTAGE_POLICY=fail-open). */
  admittedOpen?: boolean;
  stream: boolean;
  /** Input tokens estimated before the call (admission, and the row of a stream cut before Bedrock's usage). */
  inputEstimate?: number;
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
  /** The row and outcome it was settled with, for the audit line. */
  settledAs?: { row: UsageRow; outcome: UsageOutcome };
  /** Called once, right after settling: a stream's audit line is written when the stream ends. */
  onSettled?: () => void;
};

/** What a door's stream translator knows when its stream ends. */
export type StreamTally = { readonly stopReason: string | null; readonly usage: NormalizedUsage | null; readonly estimatedOutputTokens: number };

/** A streamed request's usage: Bedrock's own when it arrived, else estimates (the input from admission), marked as such. */
export function draftFromStream(draft: UsageDraft, tally: StreamTally, inputEstimate: number): void {
  draft.stopReason = tally.stopReason;
  if (tally.usage) draft.usage = tally.usage;
  else {
    draft.usage = { inputTokens: inputEstimate, outputTokens: tally.estimatedOutputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
    draft.estimated = true;
  }
}

export type UsageOutcome = { status: "ok" | "error" | "aborted"; httpStatus: number; errorCode: string | null };

export function toUsageRow(d: UsageDraft, outcome: UsageOutcome, now: number): UsageRow {
  const u = d.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  return {
    requestId: d.requestId,
    keyId: d.keyId,
    auth: d.auth,
    userEmail: d.userEmail,
    team: d.team,
    endpoint: d.endpoint,
    model: d.model ?? "",
    bedrockModelId: d.bedrockModelId,
    targetRegion: d.targetRegion,
    attempts: d.attempts,
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
    costMicros: d.pricing ? costMicros(u, d.pricing) : 0,
    costKnown: d.pricing !== null || (u.inputTokens === 0 && u.outputTokens === 0 && u.cacheReadTokens === 0 && u.cacheWriteTokens === 0),
    price: d.pricing ? { ...effectivePrice(d.pricing, u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens), unit: "micro_usd_per_million_tokens" } : null,
    lease: d.lease,
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
  // The request ends here, however it ended: its audit line and metrics (see http/access-log.ts) follow.
  draft.settledAs = { row, outcome };
  draft.onSettled?.();
}
