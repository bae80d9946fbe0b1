import { storableRecord } from "../usage/storable";
import type { Db } from "./client";
import { runPrepared } from "./prepared";

/** One gateway request, as recorded in `usage_events`. Optional fields default to null / 0 / false / now(). */
export type UsageRow = {
  /** The gateway's request id: writing the same id twice keeps the first row. */
  requestId: string;
  /** null for a caller authenticated by a JWT. */
  keyId: string | null;
  auth?: "key" | "jwt";
  userEmail: string;
  team?: string | null;
  /** The door: chat.completions, embeddings, messages, responses, bedrock.converse … */
  endpoint: string;
  /** The model as the client asked for it. */
  model: string;
  /** The Bedrock id of the target that served the request (or was last tried), its region, and how many attempts it took. */
  bedrockModelId?: string | null;
  targetRegion?: string | null;
  attempts?: number;
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
  /** Integer micro-dollars. */
  costMicros: number;
  /** False when the model has no price: no cost could be computed (costMicros is then 0). */
  costKnown?: boolean;
  /** The prices charged (micro-dollars per million tokens), kept with the row. */
  price?: Record<string, unknown> | null;
  /** What admission counted and reserved (see policy/limits.ts); released when this row is written. */
  lease?: UsageLease | null;
  latencyMs: number;
  ttftMs?: number | null;
  /** From the injected clock; the database default (now()) when omitted. */
  createdAt?: Date;
};

export type UsageLease = {
  window: number;
  day: string;
  month: string;
  /** Tokens counted against rate windows up front, and the subjects whose windows counted them. */
  tokens: number;
  rate: string[];
  /** Micro-dollars reserved, and the subjects whose budgets reserved them. */
  cost: number;
  budget: string[];
};

/** Inserts one usage row; returns false when a row with the same request id already exists. */
export async function insertUsage(db: Db, row: UsageRow): Promise<boolean> {
  return (await insertUsageBatch(db, [row])) > 0;
}

/**
 * Inserts many rows (duplicates by request id are skipped); returns how many were new.
 * The rows travel as ONE jsonb parameter expanded by `jsonb_to_recordset`: a batch of hundreds of rows costs the
 * driver one bind instead of 21 per row, which measured about 10x less client CPU per row than a multi-row
 * VALUES insert. Column names and types below mirror schema.ts's `usage_events`.
 */
export async function insertUsageBatch(db: Db, rows: readonly UsageRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  // Every string of every row, whatever its column: a client's NUL or lone surrogate must not make Postgres refuse the batch.
  const records = rows.map((r) => storableRecord(toRecord(r)));
  const payload = JSON.stringify(records);
  // One statement (`bgw_settle`, migration 0003) writes the rows and settles what their requests' admissions
  // reserved, for the rows it actually inserted: a batch retried after an outage (or a row written twice) never
  // settles twice. Spend is added to the ledger of the key, user and team for the UTC day and month of the request;
  // the reservation is released from the subjects it was taken from; a rate window's token count is corrected from
  // the estimate to the real usage. It first takes the row locks it shares with admission, in admission's order
  // (see settlementLocks), and holds them for that one statement: an admission of the same caller waits for one
  // statement, not for a transaction's round trips.
  // Locks name the subjects as the statement will build them, from the storable values of the rows.
  const stored = rows.map((r, i) => {
    const rec = records[i]!;
    // Almost always nothing changed (storableRecord then keeps every value as it is): the row itself serves.
    if (rec.key_id === r.keyId && rec.user_email === r.userEmail && rec.team === (r.team ?? null) && rec.lease === (r.lease ?? null)) return r;
    return { ...r, keyId: rec.key_id, userEmail: rec.user_email, team: rec.team, lease: rec.lease };
  });
  const locks = JSON.stringify(settlementLocks(stored));
  const settled = await runPrepared<{ n: number | string }>(db, "select bgw_settle($1::jsonb, $2::jsonb) as n", [payload, locks]);
  return Number(settled[0]?.n ?? 0);
}

/** The rows a batch's settlement will change: each subject's rate windows and ledger periods. */
export function settlementLocks(rows: readonly UsageRow[]): { subject: string; windows: number[]; periods: string[] }[] {
  const bySubject = new Map<string, { windows: Set<number>; periods: Set<string> }>();
  const entry = (subject: string) => {
    let e = bySubject.get(subject);
    if (!e) bySubject.set(subject, (e = { windows: new Set(), periods: new Set() }));
    return e;
  };
  for (const r of rows) {
    // The lease names its periods; a row without one is dated by its creation time.
    const at = r.lease?.day != null && r.lease.month != null ? "" : (r.createdAt ?? new Date()).toISOString();
    const day = r.lease?.day ?? `d${at.slice(0, 10)}`;
    const month = r.lease?.month ?? `m${at.slice(0, 7)}`;
    const subjects = [r.keyId == null ? null : `key:${r.keyId}`, `user:${r.userEmail}`, r.team == null ? null : `team:${r.team}`];
    for (const s of subjects) {
      if (s == null) continue;
      const e = entry(s);
      e.periods.add(day);
      e.periods.add(month);
    }
    for (const s of r.lease?.rate ?? []) entry(s).windows.add(r.lease!.window);
  }
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...bySubject.entries()]
    .sort(([a], [b]) => byCode(a, b))
    .map(([subject, e]) => ({ subject, windows: [...e.windows].sort((a, b) => b - a), periods: [...e.periods].sort(byCode) }));
}

function toRecord(r: UsageRow) {
  return {
    request_id: r.requestId,
    key_id: r.keyId,
    auth: r.auth ?? "key",
    user_email: r.userEmail,
    team: r.team ?? null,
    endpoint: r.endpoint,
    model: r.model,
    bedrock_model_id: r.bedrockModelId ?? null,
    target_region: r.targetRegion ?? null,
    attempts: r.attempts ?? 0,
    stream: r.stream,
    status: r.status,
    http_status: r.httpStatus ?? null,
    error_code: r.errorCode ?? null,
    stop_reason: r.stopReason ?? null,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cache_read_tokens: r.cacheReadTokens ?? 0,
    cache_write_tokens: r.cacheWriteTokens ?? 0,
    estimated: r.estimated ?? false,
    cost_micros: r.costMicros,
    cost_known: r.costKnown ?? true,
    price: r.price ?? null,
    lease: r.lease ?? null,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs ?? null,
    created_at: r.createdAt ? r.createdAt.toISOString() : null,
  };
}
