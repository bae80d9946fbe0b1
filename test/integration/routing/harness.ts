/** An in-process gateway for the routing tests: real Postgres, the simulator as Bedrock in several regions, a catalogue of its own. */
import { SIM_CREDENTIALS } from "../../../sim/server";
import { createApp } from "../../../src/app";
import { createBedrockClient } from "../../../src/bedrock/client";
import { parseConfig } from "../../../src/config";
import type { Db } from "../../../src/db/client";
import { createKey } from "../../../src/db/keys";
import { randomIds, systemClock, type Deps } from "../../../src/deps";
import { createLogger } from "../../../src/logger";
import { catalogueFromRows, type ModelRowInput } from "../../../src/models/catalogue";
import { fixedCatalogue } from "../../../src/models/source";
import { createReasoningStore } from "../../../src/reasoning-store";
import { noopMetrics, type UpstreamOutcome } from "../../../src/metrics";
import { randomEmail } from "../../support/db";

export type LogLine = { level: string; msg: string; [field: string]: unknown };

export function createRoutingHarness(opts: { db: Db; bedrockUrl: string; rows: ModelRowInput[]; env?: Record<string, string>; fetch?: typeof fetch }) {
  const logs: LogLine[] = [];
  const attempts: { target: string; outcome: UpstreamOutcome; retry: boolean }[] = [];
  const pending = new Set<Promise<unknown>>();
  const logger = createLogger("debug", (line) => logs.push(JSON.parse(line)));
  const config = parseConfig({ LOG_LEVEL: "debug", ...opts.env });
  const deps: Deps = {
    config,
    db: opts.db,
    bedrock: createBedrockClient({
      region: config.AWS_REGION,
      runtimeEndpoint: opts.bedrockUrl,
      controlEndpoint: opts.bedrockUrl,
      credentials: async () => SIM_CREDENTIALS,
      fetch: opts.fetch ?? globalThis.fetch,
      logger,
      timeoutMs: config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS,
      idleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
    }),
    catalogue: fixedCatalogue(catalogueFromRows(opts.rows)),
    clock: systemClock,
    ids: randomIds,
    waitUntil: (p) => {
      const tracked: Promise<unknown> = p.finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    logger,
    reasoningStore: createReasoningStore(),
    metrics: { ...noopMetrics, upstreamAttempt: (target, outcome, retry) => void attempts.push({ target, outcome, retry }) },
  };
  const app = createApp(deps);
  return {
    app,
    deps,
    logs,
    /** What the Metrics interface was told, attempt by attempt. */
    attempts,
    async settle(ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (pending.size > 0) {
        if (Date.now() > deadline) throw new Error(`background work still pending after ${ms} ms`);
        await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 20))]);
      }
    },
    newKey: () => createKey(opts.db, { user: randomEmail("routing"), actor: "test" }, systemClock),
    post(path: string, key: string, body: unknown) {
      return app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    },
  };
}
