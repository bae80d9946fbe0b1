/**
 * Concurrent admissions of one caller go to Postgres together (one statement per batch while one is in flight),
 * and each stays exact: the limits are never exceeded, and every taken request is counted and reserved once.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admitRequest } from "../../../src/db/admit";
import { rowsOf } from "../../../src/db/rows";
import { randomId } from "../../../src/deps";
import { type LimitCheck, periodsAt } from "../../../src/policy/limits";
import { countingStatements, failingWhen, openTestPostgres, type TestDb } from "../../support/db";

let t: TestDb;
beforeAll(async () => void (t = await openTestPostgres({ max: 4 })));
afterAll(() => t.close());

const counting = countingStatements;

describe("admission batching", () => {
  it.each([
    ["rpm", { rpm: 150 }, 150],
    ["daily budget", { daily: 150 * 700 }, 150],
    ["no room left short of the limit", { rpm: 1_000, daily: 1_000_000 }, 300],
  ] as const)("300 at once against a %s: exactly the allowed number taken, in fewer statements", async (_name, limits, allowed) => {
    const { db, statements } = counting(t.db);
    const subject = `key:key_${randomId(12)}`;
    const checks: LimitCheck[] = [{ subject, ...limits }];
    const periods = periodsAt(Date.now());
    const results = await Promise.all(Array.from({ length: 300 }, () => admitRequest(db, periods, checks, 10, 700)));
    const ok = results.filter((r) => r.ok).length;
    expect(ok).toBe(allowed);
    for (const r of results) if (!r.ok) expect(r.limit).toBe("rpm" in limits && limits.rpm === 150 ? "rpm" : "daily");
    expect(statements()).toBeLessThan(300);
    const window = rowsOf<{ requests: number }>(await t.db.execute(sql`select requests from rate_windows where subject = ${subject}`));
    if ("rpm" in limits) expect(Number(window[0]!.requests)).toBe(allowed);
    const ledger = rowsOf<{ reserved_micros: string }>(
      await t.db.execute(sql`select reserved_micros from spend_ledger where subject = ${subject} and period = ${periods.day}`),
    );
    if ("daily" in limits) expect(Number(ledger[0]!.reserved_micros)).toBe(allowed * 700);
  });

  it("keeps different callers apart, and sends a lone admission at once on its own", async () => {
    const { db, statements } = counting(t.db);
    const periods = periodsAt(Date.now());
    const a = `key:key_${randomId(12)}`;
    const b = `key:key_${randomId(12)}`;
    const one = await admitRequest(db, periods, [{ subject: a, rpm: 1 }], 1, 0);
    expect(one.ok).toBe(true);
    expect(statements()).toBe(1);
    const [ra, rb] = await Promise.all([admitRequest(db, periods, [{ subject: a, rpm: 1 }], 1, 0), admitRequest(db, periods, [{ subject: b, rpm: 1 }], 1, 0)]);
    expect(ra).toMatchObject({ ok: false, limit: "rpm" });
    expect(rb.ok).toBe(true);
  });

  it("fails every admission of a batch when its statement fails, and recovers for the next", async () => {
    let fail = true;
    const flaky = failingWhen(t.db, () => fail);
    const periods = periodsAt(Date.now());
    const checks = [{ subject: `key:key_${randomId(12)}`, rpm: 10 }];
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => admitRequest(flaky, periods, checks, 1, 0)));
    expect(settled.every((s) => s.status === "rejected")).toBe(true);
    fail = false;
    expect((await admitRequest(flaky, periods, checks, 1, 0)).ok).toBe(true);
  });
});
