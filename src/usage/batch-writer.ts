/**
 * Batches usage rows for long-lived servers: rows settled within `maxDelayMs` of each other go to Postgres in
 * one INSERT, so the database sees a handful of statements a second instead of one per request. Each pending
 * batch is handed to `waitUntil`, so a draining server flushes it. Inserts are idempotent on request_id, so a
 * retried batch never duplicates a row.
 */
import type { Db } from "../db/client";
import { insertUsageBatch, type UsageRow } from "../db/usage";
import type { Logger } from "../logger";

export type UsageWriter = { write(row: UsageRow): void };

const RETRY_DELAYS_MS = [100, 400, 1500, 4000];

export function createBatchUsageWriter(opts: {
  db: Db;
  logger: Logger;
  waitUntil(promise: Promise<unknown>): void;
  maxBatch?: number;
  maxDelayMs?: number;
}): UsageWriter {
  const maxBatch = opts.maxBatch ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 20;
  let queue: UsageRow[] = [];
  let flushNow: (() => void) | null = null;

  const schedule = () => {
    let timer: ReturnType<typeof setTimeout>;
    const done = new Promise<void>((resolve) => {
      const run = () => {
        clearTimeout(timer);
        const rows = queue;
        queue = [];
        flushNow = null;
        insertWithRetry(opts, rows).then(resolve);
      };
      flushNow = run;
      timer = setTimeout(run, maxDelayMs);
    });
    opts.waitUntil(done);
  };

  return {
    write(row) {
      queue.push(row);
      if (!flushNow) schedule();
      else if (queue.length >= maxBatch) flushNow();
    },
  };
}

export async function insertWithRetry(opts: { db: Db; logger: Logger }, rows: UsageRow[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await insertUsageBatch(opts.db, rows);
      return;
    } catch (err) {
      if (attempt >= RETRY_DELAYS_MS.length) {
        // Logged without prompts or keys, so an operator can replay them (the insert is idempotent on request_id).
        for (const row of rows) opts.logger.error("usage row could not be written", { usage: row, error: err instanceof Error ? err.message : String(err) });
        return;
      }
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
    }
  }
}
