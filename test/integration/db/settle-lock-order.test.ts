/**
 * Admission (`bgw_admit`) and settlement (the usage batch insert) lock the same rate-window and ledger rows. They must
 * take them in one order, or concurrent traffic on one key deadlocks (Postgres aborts one side after deadlock_timeout).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admitRequest } from "../../../src/db/admit";
import { createKey } from "../../../src/db/keys";
import { rowsOf } from "../../../src/db/rows";
import { insertUsageBatch, settlementLocks, type UsageRow } from "../../../src/db/usage";
import { randomId } from "../../../src/deps";
import { type LimitCheck, periodsAt } from "../../../src/policy/limits";
import { openTestPostgres, randomEmail, randomTeam, type TestDb } from "../../support/db";

describe("settlement lock order", () => {
  it("sorts subjects as admission does, windows newest first, periods day before month", () => {
    const lease = { window: 100, day: "d2026-12-02", month: "m2026-12", tokens: 10, rate: ["team:t", "key:k"], cost: 5, budget: [] };
    const row = (window: number): UsageRow => ({
      requestId: randomId(8),
      keyId: "k",
      userEmail: "u@x",
      team: "t",
      endpoint: "chat.completions",
      model: "m",
      stream: false,
      status: "ok",
      inputTokens: 1,
      outputTokens: 1,
      costMicros: 1,
      latencyMs: 1,
      lease: { ...lease, window },
    });
    expect(settlementLocks([row(100), row(99)])).toEqual([
      { subject: "key:k", windows: [100, 99], periods: ["d2026-12-02", "m2026-12"] },
      { subject: "team:t", windows: [100, 99], periods: ["d2026-12-02", "m2026-12"] },
      { subject: "user:u@x", windows: [], periods: ["d2026-12-02", "m2026-12"] },
    ]);
  });
});

describe("admission and settlement running together on Postgres", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestPostgres({ max: 12 });
  });
  afterAll(() => t.close());

  it("never deadlock, and the ledger ends with every cost spent and nothing reserved", async () => {
    const user = randomEmail("locks");
    const team = randomTeam();
    const key = await createKey(t.db, { user, team, name: "locks", actor: "test" }, { now: () => Date.now() });
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [
      { subject: `key:${key.id}`, rpm: 1_000_000, tpm: 1_000_000_000, daily: 1_000_000_000, monthly: 1_000_000_000 },
      { subject: `team:${team}`, rpm: 1_000_000, tpm: 1_000_000_000, daily: 1_000_000_000, monthly: 1_000_000_000 },
      { subject: `user:${user}`, rpm: 1_000_000, tpm: 1_000_000_000, daily: 1_000_000_000, monthly: 1_000_000_000 },
    ];
    const subjects = checks.map((c) => c.subject);
    const leaseOf = () => ({ window: periods.window, day: periods.day, month: periods.month, tokens: 50, rate: subjects, cost: 700, budget: subjects });
    const errors: unknown[] = [];
    let settled = 0;
    const worker = async () => {
      for (let i = 0; i < 12; i++) {
        const rows: UsageRow[] = [];
        for (let j = 0; j < 4; j++) {
          const r = await admitRequest(t.db, periods, checks, 50, 700);
          expect(r.ok).toBe(true);
          rows.push({
            requestId: `locks-${randomId(16)}`,
            keyId: key.id,
            userEmail: user,
            team,
            endpoint: "chat.completions",
            model: "m",
            stream: false,
            status: "ok",
            inputTokens: 20,
            outputTokens: 10,
            costMicros: 300,
            latencyMs: 1,
            lease: leaseOf(),
            createdAt: new Date(periods.now),
          });
        }
        const n = await insertUsageBatch(t.db, rows);
        settled += n;
      }
    };
    await Promise.all(Array.from({ length: 10 }, () => worker().catch((e) => errors.push(e))));
    expect(errors.map(String)).toEqual([]);
    expect(settled).toBe(480);
    const ledger = rowsOf<{ subject: string; period: string; spent: string; reserved: string }>(
      await t.db.execute(sql`select subject, period, spent_micros::text as spent, reserved_micros::text as reserved
        from spend_ledger where subject = any(${`{${subjects.map((s) => `"${s}"`).join(",")}}`}::text[]) order by 1, 2`),
    );
    expect(ledger).toHaveLength(6);
    for (const l of ledger) expect({ ...l, spent: Number(l.spent), reserved: Number(l.reserved) }).toEqual({ ...l, spent: 480 * 300, reserved: 0 });
    const windows = rowsOf<{ tokens: string; requests: number }>(
      await t.db.execute(sql`select tokens::text as tokens, requests from rate_windows where subject = ${subjects[0]} and window_start = ${periods.window}`),
    );
    expect(windows.map((w) => ({ tokens: Number(w.tokens), requests: w.requests }))).toEqual([{ tokens: 480 * 30, requests: 480 }]);
  });
});
