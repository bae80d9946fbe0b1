/**
 * Admission leases in a real gateway process (Node, Bun): a caller sending requests back to back is admitted from
 * leased room, yet its rpm limit refuses exactly the request past it, and after SIGTERM the database holds exactly
 * what the requests used: every request counted once in its rate window, every reservation released, spend equal
 * to the rows' cost.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { rowsOf } from "../../../src/db/rows";
import { randomId, systemClock } from "../../../src/deps";
import { periodsAt } from "../../../src/policy/limits";
import { testDatabaseUrl } from "../../support/db";
import { startGatewayProcess, type GatewayProcess, type Runtime, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

const CREDENTIALS = { accessKeyId: "AKIALEASETEST0000000", secretAccessKey: "lease-test-secret" };
const bed = processTestBed([CREDENTIALS]);

describe.each<Runtime>(["node", "bun"])("%s runtime", (runtime) => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGatewayProcess(runtime, {
      DATABASE_URL: testDatabaseUrl(),
      ...simulatorEnv(bed.sim.url, CREDENTIALS),
      LOG_LEVEL: "warn",
      MIGRATE_ON_START: "false",
      SHUTDOWN_TIMEOUT_MS: "10000",
    });
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  const chat = (key: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "Hi [sim:words=4]" }] }),
    });

  const count = async (query: ReturnType<typeof sql>) => rowsOf<{ n: string | null }>(await bed.tdb.db.execute(query))[0]?.n;

  it("refuses exactly the request past the rpm limit, however fast they come", async () => {
    // Far enough from the end of the minute that all of them fall in one window.
    while (Date.now() % 60_000 > 50_000) await new Promise((r) => setTimeout(r, 500));
    const key = await createKey(bed.tdb.db, { user: `lease-rpm-${runtime}-${randomId(6)}@test.local`, rpmLimit: 60 }, systemClock);
    const statuses: number[] = [];
    for (let i = 0; i < 90; i++) {
      const res = await chat(key.key);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
  });

  it("leaves the database exact after a burst and SIGTERM: counted once, nothing reserved, spend = the rows' cost", async () => {
    const key = await createKey(
      bed.tdb.db,
      { user: `lease-exact-${runtime}-${randomId(6)}@test.local`, rpmLimit: 1_000_000, tpmLimit: 1_000_000_000, budgetDailyMicros: 1_000_000_000 },
      systemClock,
    );
    const day = periodsAt(Date.now()).day;
    const n = 300;
    // Four at a time, back to back: hundreds a second, so admissions take leases.
    let sent = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sent < n) {
          sent++;
          const res = await chat(key.key);
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }
      }),
    );
    expect(await gw.stop("SIGTERM")).toBe(0);
    const subject = `key:${key.id}`;
    expect(Number(await count(sql`select count(*)::text as n from usage_events where key_id = ${key.id}`))).toBe(n);
    expect(Number(await count(sql`select sum(requests)::text as n from rate_windows where subject = ${subject}`))).toBe(n);
    expect(Number(await count(sql`select reserved_micros::text as n from spend_ledger where subject = ${subject} and period = ${day}`))).toBe(0);
    const spent = await count(sql`select spent_micros::text as n from spend_ledger where subject = ${subject} and period = ${day}`);
    const cost = await count(sql`select sum(cost_micros)::text as n from usage_events where key_id = ${key.id}`);
    expect(spent).toBe(cost);
    expect(Number(cost)).toBeGreaterThan(0);
    // The tokens counted in the windows are the rows' real tokens (estimates corrected, leased tokens given back).
    const windowTokens = await count(sql`select sum(tokens)::text as n from rate_windows where subject = ${subject}`);
    const rowTokens = await count(
      sql`select sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens)::text as n from usage_events where key_id = ${key.id}`,
    );
    expect(windowTokens).toBe(rowTokens);
  });
});
