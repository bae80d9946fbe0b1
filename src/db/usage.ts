import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { storableRecord } from "../usage/storable";
import { rowsOf } from "./rows";

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
  const payload = JSON.stringify(rows.map((r) => storableRecord(toRecord(r))));
  // One statement writes the rows and settles what their requests' admissions reserved, for the rows it actually
  // inserted: a batch retried after an outage (or a row written twice) never settles twice. Spend is added to the
  // ledger of the key, user and team for the UTC day and month of the request; the reservation is released from
  // the subjects it was taken from; a rate window's token count is corrected from the estimate to the real usage.
  const result = await db.transaction(async (tx) => {
    await lockForSettlement(tx as unknown as Db, rows);
    return tx.execute(sql`
    with r as (
      select * from jsonb_to_recordset(${payload}::jsonb) as r(request_id text, key_id text, auth text, user_email text,
        team text, endpoint text, model text, bedrock_model_id text, target_region text, attempts integer, stream boolean,
        status text, http_status integer, error_code text, stop_reason text, input_tokens integer, output_tokens integer,
        cache_read_tokens integer, cache_write_tokens integer, estimated boolean, cost_micros bigint, cost_known boolean,
        price jsonb, lease jsonb, latency_ms integer, ttft_ms integer, created_at timestamptz)
    ), ins as (
      insert into usage_events (request_id, key_id, auth, user_email, team, endpoint, model, bedrock_model_id, target_region,
        attempts, stream, status, http_status, error_code, stop_reason, input_tokens, output_tokens, cache_read_tokens,
        cache_write_tokens, estimated, cost_micros, cost_known, price, lease, latency_ms, ttft_ms, created_at)
      select request_id, key_id, coalesce(auth, 'key'), user_email, team, endpoint, model, bedrock_model_id, target_region,
        coalesce(attempts, 0), stream, status, http_status, error_code, stop_reason, input_tokens, output_tokens,
        cache_read_tokens, cache_write_tokens, estimated, cost_micros, coalesce(cost_known, true), price, lease, latency_ms,
        ttft_ms, coalesce(created_at, now())
      from r
      on conflict (request_id) do nothing
      returning key_id, user_email, team, cost_micros, created_at, lease,
        input_tokens + output_tokens + cache_read_tokens + cache_write_tokens as tokens
    ), charge as (
      select s.subject, p.period, sum(i.cost_micros) as spent,
        sum(case when i.lease -> 'budget' ? s.subject and p.period in (i.lease ->> 'day', i.lease ->> 'month')
          then (i.lease ->> 'cost')::bigint else 0 end) as released
      from ins i
      cross join lateral (values ('key:' || i.key_id), ('user:' || i.user_email), ('team:' || i.team)) as s(subject)
      cross join lateral (values (coalesce(i.lease ->> 'day', 'd' || to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD'))),
        (coalesce(i.lease ->> 'month', 'm' || to_char(i.created_at at time zone 'UTC', 'YYYY-MM')))) as p(period)
      where s.subject is not null
      group by s.subject, p.period
    ), ledger as (
      insert into spend_ledger as l (subject, period, spent_micros, reserved_micros)
      select subject, period, spent, 0 from charge
      on conflict (subject, period) do update set spent_micros = l.spent_micros + excluded.spent_micros,
        reserved_micros = greatest(0, l.reserved_micros - (select c.released from charge c where c.subject = excluded.subject and c.period = excluded.period))
      returning 1
    ), rates as (
      update rate_windows w set tokens = greatest(0, w.tokens + d.delta)
      from (
        select x.subject, (i.lease ->> 'window')::bigint as window_start, sum(i.tokens - (i.lease ->> 'tokens')::bigint) as delta
        from ins i cross join lateral jsonb_array_elements_text(i.lease -> 'rate') as x(subject)
        group by 1, 2
      ) d
      where w.subject = d.subject and w.window_start = d.window_start
      returning 1
    )
    select (select count(*) from ledger) as settled, (select count(*) from rates) as rated, 1 as one from ins`);
  });
  return rowsOf(result).length;
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
    const at = (r.createdAt ?? new Date()).toISOString();
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

/**
 * Takes the settlement's row locks up front, in the order admission (\`bgw_admit\`) takes them: subjects sorted as
 * policy/limits.ts sorts its checks, and per subject its rate window (newest first, as admission locks the current
 * window before deleting older ones), then its ledger rows by period (day before month). Without this, one statement
 * locking all ledger rows and then all rate windows deadlocks against admissions locking them subject by subject.
 * Missing ledger rows are created here, in the same order, so a later step never waits on a row an admission is inserting.
 */
async function lockForSettlement(tx: Db, rows: readonly UsageRow[]): Promise<void> {
  for (const { subject, windows, periods } of settlementLocks(rows)) {
    if (windows.length > 0) {
      await tx.execute(sql`select 1 from rate_windows where subject = ${subject}
        and window_start = any(${`{${windows.join(",")}}`}::bigint[]) order by window_start desc for update`);
    }
    const list = `{${periods.map((p) => `"${p.replace(/["\\]/g, "")}"`).join(",")}}`;
    // An upsert locks rows in the order its select produces them, the existing ones (a no-op update) and new ones alike.
    await tx.execute(sql`insert into spend_ledger as l (subject, period)
      select ${subject}, p from unnest(${list}::text[]) as p order by p collate "C"
      on conflict (subject, period) do update set spent_micros = l.spent_micros`);
  }
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
