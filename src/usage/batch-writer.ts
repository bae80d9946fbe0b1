/**
 * Batches usage rows for long-lived servers: rows settled within `maxDelayMs` of each other go to Postgres in
 * one INSERT, so the database sees a handful of statements a second instead of one per request. While the
 * database is down, rows stay queued (bounded) and are retried with backoff until it is back; the pending work
 * is handed to `waitUntil`, so a draining server flushes it, and what still cannot be written at exit is logged
 * row by row for replay. Inserts are idempotent on request_id, so a retried batch never duplicates a row.
 */
import type { Db } from "../db/client";
import { insertUsageBatch, type UsageRow } from "../db/usage";
import type { Logger } from "../logger";

export type UsageWriter = {
  write(row: UsageRow): void;
  /** Rows not yet written (e.g. at exit, with the database still down). */
  pendingRows(): readonly UsageRow[];
};

const MAX_BACKOFF_MS = 5_000;

export function createBatchUsageWriter(opts: {
  db: Db;
  logger: Logger;
  waitUntil(promise: Promise<unknown>): void;
  maxBatch?: number;
  maxDelayMs?: number;
  /** Beyond this many queued rows (a long outage), the oldest are logged and dropped. */
  maxQueued?: number;
  insert?: (rows: UsageRow[]) => Promise<unknown>;
}): UsageWriter {
  const maxBatch = opts.maxBatch ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 20;
  const maxQueued = opts.maxQueued ?? 100_000;
  const insert = opts.insert ?? ((rows: UsageRow[]) => insertUsageBatch(opts.db, rows));
  let queue: UsageRow[] = [];
  let running = false;
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

  async function run(): Promise<void> {
    running = true;
    let failures = 0;
    try {
      await sleep(maxDelayMs);
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        try {
          await insert(batch);
          queue = queue.slice(batch.length);
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
      if (queue.length > maxQueued) {
        for (const dropped of queue.splice(0, queue.length - maxQueued)) {
          opts.logger.error("usage row dropped: queue full while the database is down", { usage: dropped });
        }
      }
      if (!running) opts.waitUntil(run());
      else if (queue.length >= maxBatch) wake?.();
    },
    pendingRows: () => queue,
  };
}

/** Direct inserts (no batching), retried a few times: for runtimes whose work ends with the request (Workers). */
export async function insertWithRetry(opts: { db: Db; logger: Logger }, rows: UsageRow[]): Promise<void> {
  const delays = [100, 400, 1500, 4000];
  for (let attempt = 0; ; attempt++) {
    try {
      await insertUsageBatch(opts.db, rows);
      return;
    } catch (err) {
      if (attempt >= delays.length) {
        // Logged without prompts or keys, so an operator can replay them (the insert is idempotent on request_id).
        for (const row of rows) opts.logger.error("usage row could not be written", { usage: row, error: errorText(err) });
        return;
      }
      await new Promise((r) => setTimeout(r, delays[attempt]));
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
