import type { AdmitResult, LimitCheck, Periods } from "../policy/limits";
import { type Demand, extraToAsk, type Lease, leaseFrom, leaseHoldsRoom, leaseMatches, noteDemand, releasePayload, takeFromLease } from "../policy/lease";
import type { Db } from "./client";
import { runPrepared } from "./prepared";

/** Most admissions sent in one statement. */
const MAX_BATCH = 256;

type Waiter = {
  checks: readonly LimitCheck[];
  checksJson: string;
  periods: Periods;
  tokens: number;
  cost: number;
  enqueuedAt: number;
  resolve(r: AdmitResult): void;
  reject(e: unknown): void;
};
type Group = { queue: Waiter[] };

/** Per database handle (the process-wide pool on Node and Bun; one per request on Workers, so nothing to merge there). */
const groups = new WeakMap<Db, Map<string, Group>>();

/**
 * Admission leases of a long-lived instance (Node, Bun): per caller (its set of subjects), the room an admission
 * took beyond its own request (see policy/lease.ts). Absent on Workers, whose database handle lives for one request.
 */
export type AdmissionLeases = {
  /** Gives back every lease's unused room (at shutdown, before the database closes). */
  releaseAll(): Promise<void>;
  /** Leases held now (for tests and metrics). */
  held(): number;
  /** Releases the database has not taken yet (bgw_release payloads), retried at each sweep and at releaseAll. */
  unreleased(): readonly string[];
};

/** `toppingUp`: the caller's top-up in flight (it settles, never rejects, once its room is kept or given back). */
type Entry = { db: Db; lease: Lease | null; demand: Demand; toppingUp?: Promise<unknown> };

type LeaseKeeper = AdmissionLeases & {
  max: number;
  now(): number;
  /** The caller's entry, counting this admission in its demand. */
  touch(key: string, db: Db): Entry;
  entry(key: string): Entry | undefined;
  /** Ends the caller's lease, giving back its unused room. */
  /** Ends the caller's lease, giving back its unused room; resolves once the database has taken it back. */
  release(key: string): Promise<void> | undefined;
  /**
   * Keeps `lease` as the caller's: added to the one it has when that is for the same periods and limits, else in
   * its place (ending it). Given back at once after releaseAll.
   */
  install(key: string, db: Db, lease: Lease): void;
  /**
   * Adds a top-up's room to `lease` when that is still the caller's lease (and the room is for its periods and
   * limits); else gives the room back at once. The counts the caller's requests see stay where they are rather
   * than jumping by the room counted ahead.
   */
  topUp(key: string, db: Db, lease: Lease, room: Lease): Promise<void> | undefined;
  /** A top-up in flight: releaseAll waits for it before it gives leases back, and so does a draining server. */
  track(p: Promise<unknown>): void;
};

/**
 * Keeps admission leases: at most `max` requests past the asking one per lease (0: none), each lease given back
 * after `idleMs` without use. Releases run through `waitUntil`, so a draining server finishes them.
 */
export function createAdmissionLeases(opts: {
  max: number;
  idleMs?: number;
  now?: () => number;
  waitUntil(p: Promise<unknown>): void;
  onError?(err: unknown): void;
}): AdmissionLeases {
  const idleMs = opts.idleMs ?? 1_000;
  const now = opts.now ?? (() => Date.now());
  const entries = new Map<string, Entry>();
  const releasing = new Set<Promise<void>>();
  const toppingUp = new Set<Promise<unknown>>();
  let sweeper: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  // Releases the database did not take (it was down): retried at each sweep, and at releaseAll. A retry of one
  // that did commit is a no-op (bgw_release is idempotent per lease id).
  let unreleased: { db: Db; payload: string }[] = [];

  function send(db: Db, payload: string, retried = false): Promise<void> {
    const p = runPrepared(db, "select bgw_release($1::jsonb)", [payload]).then(
      () => {},
      (err) => {
        unreleased.push({ db, payload });
        // Said once per release, not at every retry of an outage.
        if (!retried) opts.onError?.(err);
        arm();
      },
    );
    releasing.add(p);
    void p.finally(() => releasing.delete(p));
    opts.waitUntil(p);
    return p;
  }

  function giveBack(db: Db, lease: Lease): Promise<void> | undefined {
    return leaseHoldsRoom(lease) ? send(db, releasePayload(lease)) : undefined;
  }

  function retry(): void {
    const again = unreleased;
    unreleased = [];
    for (const r of again) send(r.db, r.payload, true);
  }

  function end(e: Entry): Promise<void> | undefined {
    const given = e.lease ? giveBack(e.db, e.lease) : undefined;
    e.lease = null;
    return given;
  }

  function sweep(): void {
    sweeper = null;
    retry();
    const t = now();
    for (const [key, e] of entries) {
      if (e.lease && t - e.lease.usedAt >= idleMs) end(e);
      if (!e.lease && t - e.demand.second * 1000 >= 2_000) entries.delete(key);
    }
    arm();
  }

  function arm(): void {
    if (sweeper || closed || (entries.size === 0 && unreleased.length === 0)) return;
    sweeper = setTimeout(sweep, idleMs);
    // Node and Bun: the sweep alone does not keep the process alive.
    (sweeper as { unref?: () => void }).unref?.();
  }

  const keeper: LeaseKeeper = {
    max: opts.max,
    now,
    touch(key, db) {
      let e = entries.get(key);
      if (!e) entries.set(key, (e = { db, lease: null, demand: { second: 0, previous: 0, current: 0 } }));
      noteDemand(e.demand, now());
      arm();
      return e;
    },
    entry: (key) => entries.get(key),
    release(key) {
      const e = entries.get(key);
      return e ? end(e) : undefined;
    },
    install(key, db, lease) {
      let e = entries.get(key);
      if (!e) entries.set(key, (e = { db, lease: null, demand: { second: 0, previous: 0, current: 0 } }));
      const held = matchingLease(e, db, lease, lease.checks);
      if (held) {
        held.requests += lease.requests;
        held.tokens += lease.tokens;
        held.cost += lease.cost;
        held.rates = risen(held.rates, lease.rates);
        held.usedAt = lease.usedAt;
      } else {
        end(e);
        e.db = db;
        e.lease = lease;
      }
      if (closed) end(e);
      arm();
    },
    topUp(key, db, lease, room) {
      const e = entries.get(key);
      if (closed || !e || e.lease !== lease || e.db !== db || !leaseMatches(lease, room, room.checks)) return giveBack(db, room);
      lease.rates = ratesAfterTopUp(lease, room);
      lease.requests += room.requests;
      lease.tokens += room.tokens;
      lease.cost += room.cost;
      return undefined;
    },
    track(p) {
      toppingUp.add(p);
      void p.finally(() => toppingUp.delete(p));
      opts.waitUntil(p);
    },
    async releaseAll() {
      closed = true;
      if (sweeper) clearTimeout(sweeper);
      sweeper = null;
      // Room a top-up in flight takes is kept (and, closed, given back at once) before the rest is given back.
      await Promise.allSettled([...toppingUp]);
      for (const e of entries.values()) end(e);
      await Promise.all([...releasing]);
      // One more try for what the database refused before (a stop soon after an outage).
      if (unreleased.length > 0) {
        retry();
        await Promise.all([...releasing]);
      }
    },
    held: () => [...entries.values()].filter((e) => e.lease !== null).length,
    unreleased: () => unreleased.map((r) => r.payload),
  };
  return keeper;
}

/**
 * Counts a request against every rate limit and reserves its maximum cost against every budget, in one
 * statement (the `bgw_admit` function): either all of them take it or none changes.
 *
 * Requests of one caller contend for the same rows (its rate window and ledger entries), so each admission would
 * wait on the previous one's row locks. While one statement for a set of subjects is in flight, the admissions
 * that arrive for the same set queue, and go together in the next statement: `bgw_admit` once per request, in one
 * round trip, each still all-or-nothing. At low load nothing waits (the first goes at once); the locks are taken in
 * the same order as a single admission's, since the subjects are the same. A queued admission whose caller has
 * given up (past `deadlineMs`) is dropped rather than counted.
 *
 * With `leases`, a caller sending many requests gets room for a few more with each statement (as many as its
 * recent rate needs over the next 50 ms, up to the keeper's max, and never more than every limit has left); its
 * next requests are admitted from that room in memory.
 */
export function admitRequest(
  db: Db,
  periods: Periods,
  checks: readonly LimitCheck[],
  tokens: number,
  costMicros: number,
  deadlineMs = Number.POSITIVE_INFINITY,
  leases?: AdmissionLeases,
): Promise<AdmitResult> {
  const started = startAdmission(db, periods, checks, tokens, costMicros, deadlineMs, leases);
  return started instanceof Promise ? started : Promise.resolve(started);
}

/**
 * admitRequest for the request path: an admission its caller's lease has room for is answered at once (no
 * promise, so no database deadline to race), any other one as admitRequest answers it.
 */
export function startAdmission(
  db: Db,
  periods: Periods,
  checks: readonly LimitCheck[],
  tokens: number,
  costMicros: number,
  deadlineMs = Number.POSITIVE_INFINITY,
  leases?: AdmissionLeases,
): AdmitResult | Promise<AdmitResult> {
  return admission(db, periods, checks, tokens, costMicros, deadlineMs, leases, true);
}

function admission(
  db: Db,
  periods: Periods,
  checks: readonly LimitCheck[],
  tokens: number,
  costMicros: number,
  deadlineMs: number,
  leases: AdmissionLeases | undefined,
  counted: boolean,
): AdmitResult | Promise<AdmitResult> {
  const key = checks.map((c) => c.subject).join("\n");
  const checksJson = JSON.stringify(checks);
  const keeper = leases as LeaseKeeper | undefined;
  const again = () => admission(db, periods, checks, tokens, costMicros, deadlineMs, leases, false);
  if (keeper && keeper.max > 0) {
    const e = counted ? keeper.touch(key, db) : (keeper.entry(key) ?? keeper.touch(key, db));
    const lease = matchingLease(e, db, periods, checksJson);
    if (lease) {
      const taken = takeFromLease(lease, tokens, costMicros, keeper.now());
      if (taken) {
        topUpAhead(keeper, key, db, e, lease, { periods, checks, checksJson, tokens, cost: costMicros });
        return taken;
      }
      // Too little room left for this one: it goes to the database, and what that grants past it tops the lease up.
    } else if (e.lease) {
      // A new minute, day or month, or changed limits: the lease ends here, and this admission is the database's
      // once the room the lease held is back (under lowered limits, that room may be what lets it in).
      const released = keeper.release(key);
      if (released) return released.then(again);
    }
    // The room a top-up in flight is taking may be what admits this one (near a limit, the database has already
    // counted it): the admission waits for it, then tries the lease again, rather than being refused meanwhile.
    if (e.toppingUp) return e.toppingUp.then(again);
  }
  let byKey = groups.get(db);
  if (!byKey) groups.set(db, (byKey = new Map()));
  let group = byKey.get(key);
  const start = !group;
  if (!group) byKey.set(key, (group = { queue: [] }));
  const admitted = new Promise<AdmitResult>((resolve, reject) =>
    group!.queue.push({ checks, checksJson, periods, tokens, cost: costMicros, enqueuedAt: Date.now(), resolve, reject }),
  );
  if (start) void drain(db, byKey, key, group, deadlineMs, keeper);
  return admitted;
}

async function drain(db: Db, byKey: Map<string, Group>, key: string, group: Group, deadlineMs: number, keeper: LeaseKeeper | undefined): Promise<void> {
  try {
    while (group.queue.length > 0) {
      const now = Date.now();
      const batch: Waiter[] = [];
      while (group.queue.length > 0 && batch.length < MAX_BATCH) {
        const w = group.queue.shift()!;
        if (now - w.enqueuedAt > deadlineMs) {
          w.reject(new Error("admission abandoned: its deadline passed while it waited"));
          continue;
        }
        // Room a lease took while this one waited (the statement before this one) admits it here.
        const taken = keeper ? fromLease(keeper, key, db, w) : null;
        if (taken) w.resolve(taken);
        else batch.push(w);
      }
      if (batch.length === 0) continue;
      const entry = keeper && keeper.max > 0 ? keeper.entry(key) : undefined;
      const extra = entry ? extraToAsk(entry.demand, keeper!.max) : 0;
      try {
        const results = await runBatch(db, batch, extra);
        batch.forEach((w, i) => w.resolve(results[i]!));
        if (extra > 0) keepLease(keeper!, key, db, batch[batch.length - 1]!, results[batch.length - 1]!);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  } finally {
    byKey.delete(key);
  }
}

/**
 * Takes more room for a busy caller's lease before it runs out, off the request path: when what is left would last
 * the caller's recent rate under a quarter of the 50 ms a lease is sized for, one statement (none while another for
 * the caller is in flight) asks for that rate's 50 ms again, all of it lease room. The caller's next requests then
 * keep being admitted in memory instead of one in every lease's worth waiting on the database. What it takes is
 * counted and reserved like any lease; when the limits leave nothing, nothing changes and the requests go to the
 * database as before, where they are refused exactly.
 */
function topUpAhead(
  keeper: LeaseKeeper,
  key: string,
  db: Db,
  e: Entry,
  lease: Lease,
  w: Pick<Waiter, "periods" | "checks" | "checksJson" | "tokens" | "cost">,
): void {
  if (e.toppingUp || groups.get(db)?.has(key)) return;
  const want = extraToAsk(e.demand, keeper.max);
  if (want < 1 || lease.requests > Math.floor(want / 4)) return;
  const p: Promise<unknown> = runPrepared<{ r: unknown }>(db, "select bgw_admit($1::jsonb) as r", [payloadOf(w, want)])
    .then((rows) => {
      const result = parse(rows[0]?.r);
      if (!result.ok) return;
      const granted = Number((result as { granted?: unknown }).granted ?? 1);
      // All of it is room: none of it is a request's own (leaseFrom keeps granted - 1).
      const room = leaseFrom(crypto.randomUUID(), w.periods, w.checks, w.checksJson, w.tokens, w.cost, granted + 1, result.rates, keeper.now());
      // Given back when its lease has ended meanwhile: the top-up settles once that is done.
      return room ? keeper.topUp(key, db, lease, room) : undefined;
    })
    // A failed top-up changes nothing: the caller's next admission past its lease goes to the database as before.
    .catch(() => {})
    .finally(() => {
      if (e.toppingUp === p) e.toppingUp = undefined;
    });
  e.toppingUp = p;
  keeper.track(p);
}

/**
 * The counts a caller's next request sees after a top-up: the database's, less what this lease still holds
 * unused (counted ahead, not used), never below what its requests have already seen.
 */
function ratesAfterTopUp(held: Lease, room: Lease): Lease["rates"] {
  const unit = room.rated && room.requests > 0 ? room.tokens / room.requests : 0;
  // The database's counts are as the first of the top-up's room would see them: one request (and its tokens) on.
  const used = room.rates.map((db) => ({
    subject: db.subject,
    requests: db.requests - 1 - held.requests,
    tokens: db.tokens - unit - (held.rated ? held.tokens : 0),
  }));
  return risen(held.rates, used);
}

/** The counts a lease's requests see never fall: the higher of what they saw and what the database now says. */
function risen(seen: Lease["rates"], db: Lease["rates"]): Lease["rates"] {
  return db.map((d) => {
    const s = seen.find((r) => r.subject === d.subject);
    return s ? { subject: d.subject, requests: Math.max(s.requests, d.requests), tokens: Math.max(s.tokens, d.tokens) } : d;
  });
}

/** What the last admission of a batch was granted past its own request becomes the caller's lease. */
function keepLease(keeper: LeaseKeeper, key: string, db: Db, w: Waiter, result: AdmitResult): void {
  if (!result.ok) return;
  const granted = Number((result as { granted?: unknown }).granted ?? 1);
  const lease = leaseFrom(crypto.randomUUID(), w.periods, w.checks, w.checksJson, w.tokens, w.cost, granted, result.rates, keeper.now());
  if (lease) keeper.install(key, db, lease);
}

function fromLease(keeper: LeaseKeeper, key: string, db: Db, w: Waiter): AdmitResult | null {
  const lease = matchingLease(keeper.entry(key), db, w.periods, w.checksJson);
  return lease ? takeFromLease(lease, w.tokens, w.cost, keeper.now()) : null;
}

/** The caller's lease when it can serve an admission on `db` for these periods and limits. */
function matchingLease(e: Entry | undefined, db: Db, periods: Pick<Periods, "window" | "day" | "month">, checksJson: string): Lease | null {
  return e?.lease && e.db === db && leaseMatches(e.lease, periods, checksJson) ? e.lease : null;
}

function payloadOf(w: Pick<Waiter, "periods" | "tokens" | "cost" | "checksJson">, want: number): string {
  const p = w.periods;
  return `{"window":${p.window},"day":${JSON.stringify(p.day)},"month":${JSON.stringify(p.month)},"tokens":${w.tokens},"cost":${w.cost},${want > 1 ? `"want":${want},` : ""}"checks":${w.checksJson}}`;
}

/** One statement for the batch; the last admission asks for `extra` more requests (a lease) when it is past one. */
async function runBatch(db: Db, batch: Waiter[], extra: number): Promise<AdmitResult[]> {
  const payloads = batch.map((w, i) => payloadOf(w, i === batch.length - 1 ? 1 + extra : 1));
  if (batch.length === 1) {
    const rows = await runPrepared<{ r: unknown }>(db, "select bgw_admit($1::jsonb) as r", [payloads[0]!]);
    return [parse(rows[0]?.r)];
  }
  const all = `[${payloads.join(",")}]`;
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
