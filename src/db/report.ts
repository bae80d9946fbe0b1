// The usage report: requests, tokens and spend from usage_events, grouped by one or two of user, team, key, model
// and UTC day. Sums are integers (costs in micro-dollars), so totals made by adding rows are exact.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { rowsOf } from "./rows";

export const REPORT_DIMENSIONS = ["user", "team", "key", "model", "day"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export type ReportQuery = {
  /** One or two dimensions, in the order the report groups by them. */
  by: readonly ReportDimension[];
  since: Date;
  /** Exclusive. */
  until: Date;
  user?: string;
  team?: string;
};

export type ReportTotals = {
  requests: number;
  /** Requests that did not end `ok`: errors, refusals by policy, client aborts (as the `usage_daily` view counts them). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicros: number;
};

/**
 * One group. `groups` holds each dimension's value (null for a request without a team). Under `key` it is the
 * key's visible prefix, or `jwt:EMAIL` for callers authenticated by a JWT; `key` groups also carry the key's name
 * and owner.
 */
export type ReportRow = ReportTotals & {
  groups: Partial<Record<ReportDimension, string | null>>;
  keyName?: string | null;
  keyUser?: string | null;
};

// A request without a key (a JWT caller) is grouped under its user, so each such user is one "key".
const KEY_GROUP = sql`case when e.key_id is null then 'jwt:' || e.user_email else e.key_id end`;

const DIMENSION_SQL: Record<ReportDimension, SQL> = {
  user: sql`e.user_email`,
  team: sql`e.team`,
  key: KEY_GROUP,
  model: sql`e.model`,
  day: sql`to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD')`,
};

type RawRow = Record<string, unknown>;
const int = (v: unknown) => (v == null ? 0 : Number(v));
const text = (v: unknown) => (v == null ? null : String(v));

/**
 * Groups in report order: days ascending; otherwise the most expensive first. With two dimensions, the rows of one
 * value of the first stay together, ordered by that value's total.
 */
export async function usageReport(db: Db, q: ReportQuery): Promise<ReportRow[]> {
  if (q.by.length < 1 || q.by.length > 2 || new Set(q.by).size !== q.by.length) throw new Error("usageReport: by takes one or two different dimensions");
  const dims = q.by.map((d, i) => ({ d, col: sql.raw(`g${i}`) }));
  const groupCols = sql.join(
    dims.map(({ d, col }) => sql`${DIMENSION_SQL[d]} as ${col}`),
    sql`, `,
  );
  const where = [sql`e.created_at >= ${q.since.toISOString()}::timestamptz`, sql`e.created_at < ${q.until.toISOString()}::timestamptz`];
  if (q.user !== undefined) where.push(sql`e.user_email = ${q.user}`);
  if (q.team !== undefined) where.push(sql`e.team = ${q.team}`);
  const keyDim = dims.find((x) => x.d === "key");
  const order = orderBy(dims);
  const result = await db.execute(sql`
    with g as (
      select ${groupCols},
        count(*)::bigint::text as requests,
        (count(*) filter (where e.status <> 'ok'))::bigint::text as errors,
        coalesce(sum(e.input_tokens), 0)::text as input_tokens,
        coalesce(sum(e.output_tokens), 0)::text as output_tokens,
        coalesce(sum(e.cache_read_tokens), 0)::text as cache_read_tokens,
        coalesce(sum(e.cache_write_tokens), 0)::text as cache_write_tokens,
        coalesce(sum(e.cost_micros), 0)::text as cost_micros
      from usage_events e
      where ${sql.join(where, sql` and `)}
      group by ${sql.join(
        dims.map(({ col }) => col),
        sql`, `,
      )}
    )
    select g.*, ${keyDim ? sql`k.prefix as key_prefix, k.name as key_name, k.user_email as key_user` : sql`null as key_prefix, null as key_name, null as key_user`}
    from g ${keyDim ? sql`left join api_keys k on k.id = g.${keyDim.col}` : sql``}
    order by ${order}`);
  return rowsOf<RawRow>(result).map((r) => toReportRow(r, q.by));
}

function orderBy(dims: { d: ReportDimension; col: SQL }[]): SQL {
  const cost = sql`g.cost_micros::bigint`;
  const [first, second] = dims;
  const by1 = first.d === "day" ? sql`g.${first.col} asc` : sql`sum(${cost}) over (partition by g.${first.col}) desc, g.${first.col} asc nulls last`;
  if (!second) return first.d === "day" ? by1 : sql`${cost} desc, g.requests::bigint desc, g.${first.col} asc nulls last`;
  const by2 = second.d === "day" ? sql`g.${second.col} asc` : sql`${cost} desc, g.requests::bigint desc, g.${second.col} asc nulls last`;
  return sql`${by1}, ${by2}`;
}

function toReportRow(r: RawRow, by: readonly ReportDimension[]): ReportRow {
  const groups: ReportRow["groups"] = {};
  by.forEach((d, i) => {
    groups[d] = text(r[`g${i}`]);
  });
  const row: ReportRow = {
    groups,
    requests: int(r.requests),
    errors: int(r.errors),
    inputTokens: int(r.input_tokens),
    outputTokens: int(r.output_tokens),
    cacheReadTokens: int(r.cache_read_tokens),
    cacheWriteTokens: int(r.cache_write_tokens),
    costMicros: int(r.cost_micros),
  };
  if (by.includes("key")) {
    const group = groups.key ?? "";
    const jwt = group.startsWith("jwt:");
    groups.key = jwt ? group : (text(r.key_prefix) ?? group);
    row.keyName = jwt ? null : text(r.key_name);
    row.keyUser = jwt ? group.slice(4) : text(r.key_user);
  }
  return row;
}

/** The sum of report rows (exact: every member is an integer). */
export function reportTotals(rows: readonly ReportTotals[]): ReportTotals {
  const t: ReportTotals = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costMicros: 0 };
  for (const r of rows) {
    t.requests += r.requests;
    t.errors += r.errors;
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    t.cacheWriteTokens += r.cacheWriteTokens;
    t.costMicros += r.costMicros;
  }
  return t;
}
