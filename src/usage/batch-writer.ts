/**
 * Batches usage rows for long-lived servers: rows settled within `maxDelayMs` of each other go to Postgres in
 * one INSERT, so the database sees a handful of statements a second instead of one per request. While the
 * database is down, rows stay queued and are retried with backoff until it is back; past `maxQueued` rows the
 * writer reports itself full, so new requests are refused (503) instead of rows being dropped. The pending work
 * is handed to `waitUntil`, so a draining server flushes it, and what still cannot be written at exit is logged
 * row by row for replay. Inserts are idempotent on request_id, so a retried batch never duplicates a row.
 *
 * A batch that Postgres refuses for its content (not for being unreachable) is split in halves until the refused
 * rows are alone: the others are written, each refused row is logged once and dropped, and the writer moves on.
 */
import type { Db } from "../db/client";
import { refusedByDatabase, rootMessage as errorText, sqlStateOf } from "../db/deadline";
import { insertUsageBatch, type UsageRow } from "../db/usage";
import type { Logger } from "../logger";

export type UsageWriter = {
  write(row: UsageRow): void;
  /** True while `maxQueued` rows or more wait for the database: the gateway then refuses new requests. */
  isFull(): boolean;
  /** Rows not yet written (e.g. at exit, with the database still down). */
  pendingRows(): readonly UsageRow[];
};

const MAX_BACKOFF_MS = 5_000;

type Insert = (rows: UsageRow[]) => Promise<unknown>;

export function createBatchUsageWriter(opts: {
  db: Db;
  logger: Logger;
  waitUntil(promise: Promise<unknown>): void;
  maxBatch?: number;
  maxDelayMs?: number;
  /** From this many queued rows on (a long outage), `isFull()` is true. Rows already settled are still queued. */
  maxQueued?: number;
  insert?: Insert;
}): UsageWriter {
  const maxBatch = opts.maxBatch ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 20;
  const maxQueued = opts.maxQueued ?? 100_000;
  const insert = opts.insert ?? ((rows: UsageRow[]) => insertUsageBatch(opts.db, rows));
  // Refused rows, so a batch retried after a later connection failure neither sends nor logs them again.
  const refused = new WeakSet<UsageRow>();
  const refuse = (row: UsageRow, err: unknown) => {
    refused.add(row);
    opts.logger.error("usage row refused by the database and dropped", { usage: row, error: errorText(err), sqlstate: sqlStateOf(err) });
  };
  let queue: UsageRow[] = [];
  let running = false;
  let full = false;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const noteDrained = () => {
    if (full && queue.length < maxQueued) {
      full = false;
      opts.logger.info("usage queue below its limit again: accepting requests", { queued: queue.length });
    }
  };

  async function run(): Promise<void> {
    running = true;
    let failures = 0;
    try {
      await sleep(maxDelayMs);
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        try {
          await insertIsolating(
            insert,
            batch.filter((r) => !refused.has(r)),
            refuse,
          );
          queue = queue.slice(batch.length);
          noteDrained();
          if (failures > 0) opts.logger.info("usage rows written after a database outage", { retries: failures });
          failures = 0;
        } catch (err) {
          if (failures++ === 0) opts.logger.warn("usage rows queued: database write failed, retrying", { queued: queue.length, error: errorText(err) });
          await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures));
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    write(row) {
      queue.push(row);
      if (!full && queue.length >= maxQueued) {
        full = true;
        opts.logger.error("usage queue full while the database is unavailable: refusing new requests", { queued: queue.length });
      }
      if (!running) opts.waitUntil(run());
      else if (queue.length >= maxBatch) wake?.();
    },
    isFull: () => queue.length >= maxQueued,
    pendingRows: () => queue,
  };
}

/** Direct inserts (no batching), retried a few times: for runtimes whose work ends with the request (Workers). */
export async function insertWithRetry(opts: { db: Db; logger: Logger }, rows: UsageRow[]): Promise<void> {
  const delays = [100, 400, 1500, 4000];
  const insert: Insert = (batch) => insertUsageBatch(opts.db, batch);
  const refused = new Set<UsageRow>();
  const refuse = (row: UsageRow, err: unknown) => {
    refused.add(row);
    opts.logger.error("usage row refused by the database and dropped", { usage: row, error: errorText(err), sqlstate: sqlStateOf(err) });
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await insertIsolating(
        insert,
        rows.filter((r) => !refused.has(r)),
        refuse,
      );
      return;
    } catch (err) {
      if (attempt >= delays.length) {
        // Logged without prompts or keys, so an operator can replay them (the insert is idempotent on request_id).
        for (const row of rows) if (!refused.has(row)) opts.logger.error("usage row could not be written", { usage: row, error: errorText(err) });
        return;
      }
      await new Promise((r) => setTimeout(r, delays[attempt]));
    }
  }
}

/**
 * Inserts `rows`; when Postgres refuses them for their content, splits them in halves until each refused row is
 * alone, writes the rest and hands each refused row to `refuse`. A batch of n rows with one bad row costs about
 * 2·log2(n) more statements. Rejects (for the caller to retry) when the database is unavailable.
 */
async function insertIsolating(insert: Insert, rows: UsageRow[], refuse: (row: UsageRow, err: unknown) => void): Promise<void> {
  if (rows.length === 0) return;
  try {
    await insert(rows);
  } catch (err) {
    if (!refusedByDatabase(err)) throw err;
    if (rows.length === 1) return refuse(rows[0]!, err);
    const half = Math.ceil(rows.length / 2);
    await insertIsolating(insert, rows.slice(0, half), refuse);
    await insertIsolating(insert, rows.slice(half), refuse);
  }
}
