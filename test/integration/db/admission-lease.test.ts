/**
 * Admission leases on Postgres: bgw_admit's `want` takes the most requests that fit every limit, bgw_release gives
 * unused room back, and a lease keeper admits a busy caller's requests from leased room without passing any limit,
 * across several instances (keepers) at once, then gives back exactly what no request used.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdmissionLeases, admitRequest, createAdmissionLeases, startAdmission } from "../../../src/db/admit";
import { rowsOf } from "../../../src/db/rows";
import { randomId } from "../../../src/deps";
import { type LimitCheck, periodsAt } from "../../../src/policy/limits";
import { countingStatements, failingWhen, openTestPostgres, type TestDb, testBackends } from "../../support/db";

let t: TestDb;
beforeAll(async () => void (t = await openTestPostgres({ max: 6 })));
afterAll(() => t.close());

const subjectOf = () => `key:key_${randomId(12)}`;

const counting = countingStatements;

async function windowOf(subject: string) {
  const rows = rowsOf<{ requests: string; tokens: string }>(
    await t.db.execute(sql`select requests::text, tokens::text from rate_windows where subject = ${subject} order by window_start desc limit 1`),
  );
  return rows[0] ? { requests: Number(rows[0].requests), tokens: Number(rows[0].tokens) } : null;
}

async function reservedOf(subject: string, period: string) {
  const rows = rowsOf<{ r: string }>(
    await t.db.execute(sql`select reserved_micros::text as r from spend_ledger where subject = ${subject} and period = ${period}`),
  );
  return rows[0] ? Number(rows[0].r) : null;
}

async function admitSql(p: Record<string, unknown>) {
  const rows = rowsOf<{ r: unknown }>(await t.db.execute(sql`select bgw_admit(${JSON.stringify(p)}::jsonb) as r`));
  const r = rows[0]!.r;
  return (typeof r === "string" ? JSON.parse(r) : r) as Record<string, unknown>;
}

function keeper(max = 16, idleMs = 60_000): AdmissionLeases & { pending: Promise<unknown>[] } {
  const pending: Promise<unknown>[] = [];
  const k = createAdmissionLeases({ max, idleMs, waitUntil: (p) => void pending.push(p) });
  return Object.assign(k, { pending });
}

describe("bgw_admit want", () => {
  it.each([
    // [limits, tokens, cost, want, granted, requests counted, tokens counted, reserved]
    ["no want: one", { rpm: 100 }, 10, 0, undefined, 1, 1, 10, 0],
    ["want within every limit", { rpm: 100, tpm: 10_000, daily: 1_000_000 }, 10, 700, 8, 8, 8, 80, 5600],
    ["rpm leaves 5", { rpm: 5 }, 10, 0, 16, 5, 5, 50, 0],
    ["tpm leaves room for 3", { tpm: 35 }, 10, 0, 16, 3, 3, 30, 0],
    ["budget leaves room for 2", { daily: 1500 }, 10, 700, 16, 2, 0, 0, 1400],
    ["zero cost and tokens: want decides", { rpm: 1_000, daily: 100 }, 0, 0, 7, 7, 7, 0, 0],
  ] as const)("%s", async (_name, limits, tokens, cost, want, granted, requests, counted, reserved) => {
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const r = await admitSql({ window: periods.window, day: periods.day, month: periods.month, tokens, cost, want, checks: [{ subject, ...limits }] });
    expect(r).toMatchObject({ ok: true, granted });
    const w = await windowOf(subject);
    if ("rpm" in limits || "tpm" in limits) expect(w).toEqual({ requests, tokens: counted });
    if ("daily" in limits) expect(await reservedOf(subject, periods.day)).toBe(reserved);
  });

  it("refuses as before when not even one fits, whatever it wants", async () => {
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const p = { window: periods.window, day: periods.day, month: periods.month, tokens: 1, cost: 0, checks: [{ subject, rpm: 2 }] };
    expect(await admitSql({ ...p, want: 5 })).toMatchObject({ ok: true, granted: 2 });
    expect(await admitSql({ ...p, want: 5 })).toEqual({ ok: false, subject, limit: "rpm", max: 2, used: 2 });
  });

  it("bgw_release gives back requests, tokens and reservations once per lease id, never below zero", async () => {
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks = [{ subject, rpm: 100, tpm: 10_000, daily: 100_000, monthly: 100_000 }];
    await admitSql({ window: periods.window, day: periods.day, month: periods.month, tokens: 10, cost: 100, want: 10, checks });
    const release = async (id: string, requests: number, tokens: number, cost: number) => {
      const p = JSON.stringify({ id, window: periods.window, day: periods.day, month: periods.month, requests, tokens, cost, checks });
      return rowsOf<{ r: boolean }>(await t.db.execute(sql`select bgw_release(${p}::jsonb) as r`))[0]!.r;
    };
    const first = `lease-${randomId(8)}`;
    expect(await release(first, 4, 40, 400)).toBe(true);
    expect(await windowOf(subject)).toEqual({ requests: 6, tokens: 60 });
    expect(await reservedOf(subject, periods.day)).toBe(600);
    expect(await reservedOf(subject, periods.month)).toBe(600);
    // The same release again (retried after a lost answer) changes nothing.
    expect(await release(first, 4, 40, 400)).toBe(false);
    expect(await windowOf(subject)).toEqual({ requests: 6, tokens: 60 });
    expect(await reservedOf(subject, periods.day)).toBe(600);
    expect(await release(`lease-${randomId(8)}`, 100, 1000, 10_000)).toBe(true);
    expect(await windowOf(subject)).toEqual({ requests: 0, tokens: 0 });
    expect(await reservedOf(subject, periods.day)).toBe(0);
  });
});

describe("admission leases", () => {
  it("admits a busy caller's sequential requests mostly from leased room, and gives back exactly what is unused", async () => {
    const { db, statements } = counting(t.db);
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000, tpm: 100_000_000, daily: 1_000_000_000 }];
    const n = 500;
    for (let i = 0; i < n; i++) expect((await admitRequest(db, periods, checks, 10 + (i % 3), 700, Number.POSITIVE_INFINITY, k)).ok).toBe(true);
    // Sequential, hundreds a second: after the first few, one statement serves up to 17 admissions.
    expect(statements()).toBeLessThan(n / 4);
    expect(k.held()).toBe(1);
    await k.releaseAll();
    expect(k.held()).toBe(0);
    let tokens = 0;
    for (let i = 0; i < n; i++) tokens += 10 + (i % 3);
    expect(await windowOf(subject)).toEqual({ requests: n, tokens });
    expect(await reservedOf(subject, periods.day)).toBe(n * 700);
  });

  it("startAdmission answers an admission its lease has room for at once, and any other one with a promise", async () => {
    const { db, statements } = counting(t.db);
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000, daily: 1_000_000_000 }];
    const kinds: string[] = [];
    for (let i = 0; i < 300; i++) {
      const started = startAdmission(db, periods, checks, 1, 700, Number.POSITIVE_INFINITY, k);
      kinds.push(started instanceof Promise ? "promise" : "now");
      const r = started instanceof Promise ? await started : started;
      expect(r.ok).toBe(true);
    }
    // The first goes to the database; once the caller is busy, most come from its lease, each one a statement fewer.
    expect(kinds[0]).toBe("promise");
    expect(kinds.filter((x) => x === "now").length).toBeGreaterThan(150);
    // Every other statement is a lease's top-up, which no admission waited for.
    expect(statements()).toBeGreaterThanOrEqual(kinds.filter((x) => x === "promise").length);
    await k.releaseAll();
    expect(await windowOf(subject)).toEqual({ requests: 300, tokens: 300 });
    expect(await reservedOf(subject, periods.day)).toBe(300 * 700);
  });

  it("tops a busy caller's lease up before it runs out, so its admissions stop waiting on the database", async () => {
    const { db, statements } = counting(t.db);
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000, tpm: 100_000_000, daily: 1_000_000_000 }];
    const waited: number[] = [];
    for (let i = 0; i < 400; i++) {
      const started = startAdmission(db, periods, checks, 5, 700, Number.POSITIVE_INFINITY, k);
      if (started instanceof Promise) waited.push(i);
      expect((started instanceof Promise ? await started : started).ok).toBe(true);
      // About a thousand a second, as a busy client of one instance: a top-up has a few ms to land.
      await new Promise((r) => setTimeout(r, 1));
    }
    // Without the top-up, one admission in every lease's worth (17) waits: about 24 of 400. With it, the first few,
    // while the caller's rate is still being learnt, and one now and then whose top-up the machine was too busy
    // to land in time.
    expect(waited.filter((i) => i >= 50).length).toBeLessThanOrEqual(10);
    expect(statements()).toBeGreaterThan(10);
    await k.releaseAll();
    expect(await windowOf(subject)).toEqual({ requests: 400, tokens: 400 * 5 });
    expect(await reservedOf(subject, periods.day)).toBe(400 * 700);
  });

  it("near a limit, an admission its lease cannot serve waits for the top-up in flight instead of being refused", async () => {
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 60 }];
    const results: boolean[] = [];
    // Back to back: the lease runs dry while its top-up (which the database has already counted) is on its way.
    for (let i = 0; i < 70; i++) {
      const started = startAdmission(t.db, periods, checks, 1, 0, Number.POSITIVE_INFINITY, k);
      results.push((started instanceof Promise ? await started : started).ok);
    }
    expect(results.slice(0, 60)).toEqual(Array(60).fill(true));
    expect(results.slice(60)).toEqual(Array(10).fill(false));
    await k.releaseAll();
    expect((await windowOf(subject))!.requests).toBe(60);
  });

  it("a top-up that lands after its lease ended gives its room back at once", async () => {
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000 }];
    // Busy enough to take leases and start top-ups, then the limits change with a top-up likely in flight.
    for (let i = 0; i < 60; i++) {
      const started = startAdmission(t.db, periods, checks, 1, 0, Number.POSITIVE_INFINITY, k);
      if (started instanceof Promise) await started;
    }
    const changed: LimitCheck[] = [{ subject, rpm: 999_999 }];
    expect((await admitRequest(t.db, periods, changed, 1, 0, Number.POSITIVE_INFINITY, k)).ok).toBe(true);
    await Promise.all(k.pending);
    await k.releaseAll();
    await Promise.all(k.pending);
    expect((await windowOf(subject))!.requests).toBe(61);
  });

  it("x-ratelimit counts never say less than was admitted through leased admissions", async () => {
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000 }];
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await admitRequest(t.db, periods, checks, 1, 0, Number.POSITIVE_INFINITY, k);
      if (!r.ok) throw new Error("refused");
      seen.push(r.rates[0]!.requests);
      // As a server would, between requests: the lease's top-ups land.
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    // Each admission sees a count no less than the admissions so far: the room a lease holds is counted ahead, so
    // a count may run a little past the true one (by a lease's room and a top-up's), never under it.
    seen.forEach((n, i) => {
      expect(n).toBeGreaterThanOrEqual(i + 1);
      expect(n).toBeLessThanOrEqual(i + 1 + 32);
    });
    await k.releaseAll();
    expect((await windowOf(subject))!.requests).toBe(200);
  });

  it.each([
    ["rpm", { rpm: 150 }, "rpm"],
    ["daily budget", { daily: 150 * 700 }, "daily"],
  ] as const)("three instances, 600 at once against a %s: never past the limit, and nothing left reserved", async (_name, limits, limit) => {
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, ...limits }];
    const keepers = [keeper(16), keeper(16), keeper(16)];
    // Warm each instance's demand, so its admissions ask for leases.
    const results = [];
    for (let wave = 0; wave < 4; wave++) {
      results.push(
        ...(await Promise.all(Array.from({ length: 150 }, (_, i) => admitRequest(t.db, periods, checks, 10, 700, Number.POSITIVE_INFINITY, keepers[i % 3]!)))),
      );
    }
    const ok = results.filter((r) => r.ok).length;
    expect(ok).toBeLessThanOrEqual(150);
    // Room a lease held is given back, so a later admission can use it: nothing is lost for good.
    for (const k of keepers) await k.releaseAll();
    const after = await admitRequest(t.db, periods, checks, 10, 700);
    const total = ok + (after.ok ? 1 : 0);
    for (const r of results) if (!r.ok) expect(r.limit).toBe(limit);
    if ("rpm" in limits) {
      expect((await windowOf(subject))!.requests).toBe(total);
      expect(total).toBeLessThanOrEqual(150);
    } else {
      expect(await reservedOf(subject, periods.day)).toBe(total * 700);
      expect(total).toBeLessThanOrEqual(150);
    }
  });

  it("ends a lease when the limits change or a new minute begins, giving its room back", async () => {
    const k = keeper(16);
    const subject = subjectOf();
    const now = Date.now();
    const periods = periodsAt(now);
    const checks: LimitCheck[] = [{ subject, rpm: 10_000, daily: 10_000_000 }];
    for (let i = 0; i < 100; i++) await admitRequest(t.db, periods, checks, 1, 100, Number.POSITIVE_INFINITY, k);
    expect(k.held()).toBe(1);
    // (A top-up still in flight lands first: room it counted ahead would otherwise refuse the next admission
    // until it is given back, a moment later.)
    await Promise.all(k.pending);
    // An admin lowers the limit: the next admission is the database's, under the new limit.
    const lowered: LimitCheck[] = [{ subject, rpm: 101, daily: 10_000_000 }];
    const r = await admitRequest(t.db, periods, lowered, 1, 100, Number.POSITIVE_INFINITY, k);
    expect(r.ok).toBe(true);
    await Promise.all(k.pending);
    expect((await windowOf(subject))!.requests).toBe(101);
    expect(await admitRequest(t.db, periods, lowered, 1, 100, Number.POSITIVE_INFINITY, k)).toMatchObject({ ok: false, limit: "rpm" });
    // A new minute: the old lease's budget room is given back too.
    const next = periodsAt(now + 60_000);
    await admitRequest(t.db, next, checks, 1, 100, Number.POSITIVE_INFINITY, k);
    await k.releaseAll();
    expect(await reservedOf(subject, periods.day)).toBe(102 * 100);
  });

  it("gives an idle lease back on its own", async () => {
    const k = keeper(16, 50);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 10_000 }];
    for (let i = 0; i < 100; i++) await admitRequest(t.db, periods, checks, 1, 0, Number.POSITIVE_INFINITY, k);
    expect(k.held()).toBe(1);
    for (let i = 0; i < 100 && k.held() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.held()).toBe(0);
    await Promise.all(k.pending);
    expect((await windowOf(subject))!.requests).toBe(100);
  });

  it("retries a release the database did not take until it does, and applies it once", async () => {
    let down = false;
    const flaky = failingWhen(t.db, () => down);
    const errors: unknown[] = [];
    const k = createAdmissionLeases({ max: 16, idleMs: 50, waitUntil: () => {}, onError: (e) => errors.push(e) });
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 10_000, daily: 10_000_000 }];
    // Until the lease holds room no request has used (it may end exactly used up).
    let admitted = 0;
    while (admitted < 100 || (await windowOf(subject))!.requests === admitted) {
      await admitRequest(flaky, periods, checks, 1, 100, Number.POSITIVE_INFINITY, k);
      admitted++;
    }
    expect(k.held()).toBe(1);
    down = true;
    for (let i = 0; i < 100 && k.unreleased().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.unreleased()).toHaveLength(1);
    // Retried at each sweep, said once.
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toHaveLength(1);
    expect((await windowOf(subject))!.requests).toBeGreaterThan(admitted);
    down = false;
    for (let i = 0; i < 100 && k.unreleased().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.unreleased()).toHaveLength(0);
    await k.releaseAll();
    expect((await windowOf(subject))!.requests).toBe(admitted);
    expect(await reservedOf(subject, periods.day)).toBe(admitted * 100);
  });

  it("with max 0 takes no lease", async () => {
    const { db, statements } = counting(t.db);
    const k = keeper(0);
    const checks: LimitCheck[] = [{ subject: subjectOf(), rpm: 10_000 }];
    const periods = periodsAt(Date.now());
    for (let i = 0; i < 50; i++) await admitRequest(db, periods, checks, 1, 0, Number.POSITIVE_INFINITY, k);
    expect(statements()).toBe(50);
    expect(k.held()).toBe(0);
  });
});

describe.each(testBackends)("admission leases on $name", ({ open }) => {
  let b: TestDb;
  beforeAll(async () => void (b = await open()));
  afterAll(() => b.close());

  it("admits from leased room and gives back exactly what no request used", async () => {
    const k = keeper(16);
    const subject = subjectOf();
    const periods = periodsAt(Date.now());
    const checks: LimitCheck[] = [{ subject, rpm: 1_000_000, daily: 1_000_000_000 }];
    for (let i = 0; i < 200; i++) expect((await admitRequest(b.db, periods, checks, 5, 300, Number.POSITIVE_INFINITY, k)).ok).toBe(true);
    expect(k.held()).toBe(1);
    await k.releaseAll();
    const w = rowsOf<{ n: string }>(await b.db.execute(sql`select requests::text as n from rate_windows where subject = ${subject}`));
    const r = rowsOf<{ n: string }>(
      await b.db.execute(sql`select reserved_micros::text as n from spend_ledger where subject = ${subject} and period = ${periods.day}`),
    );
    expect(Number(w[0]!.n)).toBe(200);
    expect(Number(r[0]!.n)).toBe(200 * 300);
  });
});
