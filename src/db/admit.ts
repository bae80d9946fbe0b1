import type { AdmitResult, LimitCheck, Periods } from "../policy/limits";
import type { Db } from "./client";
import { runPrepared } from "./prepared";

/** Most admissions sent in one statement. */
const MAX_BATCH = 256;

type Waiter = { payload: string; enqueuedAt: number; resolve(r: AdmitResult): void; reject(e: unknown): void };
type Group = { queue: Waiter[] };

/** Per database handle (the process-wide pool on Node and Bun; one per request on Workers, so nothing to merge there). */
const groups = new WeakMap<Db, Map<string, Group>>();

/**
 * Counts a request against every rate limit and reserves its maximum cost against every budget, in one
 * statement (the `bgw_admit` function from migration 0001): either all of them take it or none changes.
 *
 * Requests of one caller contend for the same rows (its rate window and ledger entries), so each admission would
 * wait on the previous one's row locks. While one statement for a set of subjects is in flight, the admissions
 * that arrive for the same set queue, and go together in the next statement: `bgw_admit` once per request, in one
 * round trip, each still all-or-nothing. At low load nothing waits (the first goes at once); the locks are taken in
 * the same order as a single admission's, since the subjects are the same. A queued admission whose caller has
 * given up (past `deadlineMs`) is dropped rather than counted.
 */
export function admitRequest(
  db: Db,
  periods: Periods,
  checks: readonly LimitCheck[],
  tokens: number,
  costMicros: number,
  deadlineMs = Number.POSITIVE_INFINITY,
): Promise<AdmitResult> {
  const payload = JSON.stringify({ window: periods.window, day: periods.day, month: periods.month, tokens, cost: costMicros, checks });
  const key = checks.map((c) => c.subject).join("\n");
  let byKey = groups.get(db);
  if (!byKey) groups.set(db, (byKey = new Map()));
  let group = byKey.get(key);
  const start = !group;
  if (!group) byKey.set(key, (group = { queue: [] }));
  const admitted = new Promise<AdmitResult>((resolve, reject) => group!.queue.push({ payload, enqueuedAt: Date.now(), resolve, reject }));
  if (start) void drain(db, byKey, key, group, deadlineMs);
  return admitted;
}

async function drain(db: Db, byKey: Map<string, Group>, key: string, group: Group, deadlineMs: number): Promise<void> {
  try {
    while (group.queue.length > 0) {
      const now = Date.now();
      const batch: Waiter[] = [];
      while (group.queue.length > 0 && batch.length < MAX_BATCH) {
        const w = group.queue.shift()!;
        if (now - w.enqueuedAt > deadlineMs) w.reject(new Error("admission abandoned: its deadline passed while it waited"));
        else batch.push(w);
      }
      if (batch.length === 0) continue;
      try {
        const results = await runBatch(db, batch);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  } finally {
    byKey.delete(key);
  }
}

async function runBatch(db: Db, batch: Waiter[]): Promise<AdmitResult[]> {
  if (batch.length === 1) {
    const rows = await runPrepared<{ r: unknown }>(db, "select bgw_admit($1::jsonb) as r", [batch[0]!.payload]);
    return [parse(rows[0]?.r)];
  }
  const all = `[${batch.map((w) => w.payload).join(",")}]`;
  const rows = await runPrepared<{ i: number | string; r: unknown }>(
    db,
    "select t.i, bgw_admit(t.p) as r from jsonb_array_elements($1::jsonb) with ordinality as t(p, i)",
    [all],
  );
  const out: AdmitResult[] = new Array(batch.length);
  for (const row of rows) out[Number(row.i) - 1] = parse(row.r);
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) throw new Error("an admission batch returned fewer rows than it was sent");
  return out;
}

const parse = (r: unknown) => (typeof r === "string" ? JSON.parse(r) : r) as AdmitResult;
