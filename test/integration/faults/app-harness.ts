/** An in-process gateway for the fault tests: real database, the simulator (or an address nothing answers) as Bedrock. */
import { SIM_CREDENTIALS } from "../../../sim/server";
import { createApp } from "../../../src/app";
import { createBedrockClient } from "../../../src/bedrock/client";
import { staticCatalogue } from "../../../src/models/catalogue";
import { fixedCatalogue } from "../../../src/models/source";
import { parseConfig } from "../../../src/config";
import type { Db } from "../../../src/db/client";
import { createKey } from "../../../src/db/keys";
import { randomIds, systemClock, type Deps } from "../../../src/deps";
import { createLogger } from "../../../src/logger";
import { createReasoningStore } from "../../../src/reasoning-store";
import { createBatchUsageWriter } from "../../../src/usage/batch-writer";
import { randomEmail } from "../../support/db";

export type LogLine = { level: string; msg: string; [field: string]: unknown };

export type Harness = ReturnType<typeof createHarness>;

export function createHarness(opts: {
  db: Db;
  /** The simulator's URL; without it Bedrock is a closed loopback port (for tests that never reach it). */
  bedrockUrl?: string;
  env?: Record<string, string>;
  /** Batch usage rows through a writer (as Node and Bun do) instead of one insert per row. */
  batchWriter?: { maxQueued?: number; insert?: Parameters<typeof createBatchUsageWriter>[0]["insert"] };
  fetch?: typeof fetch;
  /** What a graceful stop raises at its drain deadline (Node and Bun pass one). */
  shutdown?: Deps["shutdown"];
}) {
  const logs: LogLine[] = [];
  const pending = new Set<Promise<unknown>>();
  const logger = createLogger("debug", (line) => logs.push(JSON.parse(line)));
  const waitUntil = (p: Promise<unknown>) => {
    const tracked: Promise<unknown> = p.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const endpoint = opts.bedrockUrl ?? "http://127.0.0.1:9";
  const deps: Deps = {
    config: parseConfig({ LOG_LEVEL: "debug", ...opts.env }),
    db: opts.db,
    bedrock: createBedrockClient({
      region: "us-east-1",
      runtimeEndpoint: endpoint,
      controlEndpoint: endpoint,
      credentials: async () => SIM_CREDENTIALS,
      fetch: opts.fetch ?? globalThis.fetch,
      logger,
      timeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      retries: 0,
    }),
    catalogue: fixedCatalogue(staticCatalogue()),
    clock: systemClock,
    ids: randomIds,
    waitUntil,
    logger,
    reasoningStore: createReasoningStore(),
    usageWriter: opts.batchWriter ? createBatchUsageWriter({ db: opts.db, logger, waitUntil, maxDelayMs: 5, ...opts.batchWriter }) : undefined,
    shutdown: opts.shutdown,
  };
  const app = createApp(deps);
  return {
    app,
    deps,
    logs,
    /** Waits for every usage row and other background work, failing after `ms` rather than hanging the suite. */
    async settle(ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (pending.size > 0) {
        if (Date.now() > deadline) throw new Error(`background work still pending after ${ms} ms`);
        await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 50))]);
      }
    },
    newKey: (label = "faults") => createKey(opts.db, { user: randomEmail(label), actor: "test" }, systemClock),
    post(path: string, key: string | null, body: unknown, headers: Record<string, string> = {}) {
      return app.request(path, {
        method: "POST",
        headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
  };
}
