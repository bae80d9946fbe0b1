import { describe, expect, it } from "vitest";
import { cachedKeyLookup } from "../../../src/auth/key-cache";

type Rec = { id: string };

/** A store with a counting `find`; while held, answers wait until released. */
function fakeStore(initial: Record<string, Rec> = {}) {
  const rows = new Map(Object.entries(initial));
  const calls: string[] = [];
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  return {
    rows,
    calls,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      open();
      gate = null;
    },
    find: async (hash: string): Promise<Rec | null> => {
      calls.push(hash);
      // Read first, answer later: as a query that saw the row before a change committed.
      const row = rows.get(hash) ?? null;
      if (gate) await gate;
      return row;
    },
  };
}

const clockAt = (start = 1_000_000) => {
  const c = { t: start, now: () => c.t };
  return c;
};

describe("cachedKeyLookup", () => {
  it("merges concurrent lookups of one hash into one query", async () => {
    const store = fakeStore({ h1: { id: "k1" } });
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock: clockAt() });
    store.hold();
    const all = Promise.all([lookup("h1"), lookup("h1"), lookup("h1"), lookup("h2"), lookup("h2")]);
    store.release();
    expect(await all).toEqual([{ id: "k1" }, { id: "k1" }, { id: "k1" }, null, null]);
    expect(store.calls.sort()).toEqual(["h1", "h2"]);
  });

  it.each([
    // [ms after the first lookup, queries so far]
    [0, 1],
    [999, 1],
    [1_000, 2],
    [1_500, 2],
    [2_000, 3],
  ])("caches a miss for 1 s: a second lookup %i ms later makes %i queries in all", async (later, queries) => {
    const store = fakeStore();
    const clock = clockAt();
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock });
    await lookup("junk");
    for (let t = 500; t <= later; t += 500) {
      clock.t += 500;
      await lookup("junk");
    }
    clock.t = 1_000_000 + later;
    await lookup("junk");
    expect(store.calls).toHaveLength(queries);
  });

  it("costs one query per distinct junk token per second, however many requests carry it", async () => {
    const store = fakeStore();
    const clock = clockAt();
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock });
    for (let second = 0; second < 3; second++) {
      for (let i = 0; i < 1_000; i++) await lookup(`junk-${i % 50}`);
      clock.t += 1_000;
    }
    expect(store.calls).toHaveLength(3 * 50);
  });

  it("finds a key created after a miss once the miss expires (at most missTtlMs)", async () => {
    const store = fakeStore();
    const clock = clockAt();
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, missTtlMs: 1_500, clock });
    expect(await lookup("new")).toBeNull();
    store.rows.set("new", { id: "k-new" });
    clock.t += 1_499;
    expect(await lookup("new")).toBeNull();
    clock.t += 1;
    expect(await lookup("new")).toEqual({ id: "k-new" });
  });

  it("keeps found keys for ttlMs", async () => {
    const store = fakeStore({ h: { id: "k" } });
    const clock = clockAt();
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock });
    await lookup("h");
    clock.t += 9_999;
    await lookup("h");
    expect(store.calls).toHaveLength(1);
    clock.t += 1;
    await lookup("h");
    expect(store.calls).toHaveLength(2);
  });

  it("forget(hash) and clear() drop entries at once, found or missing", async () => {
    const store = fakeStore({ a: { id: "ka" }, b: { id: "kb" } });
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock: clockAt() });
    await Promise.all([lookup("a"), lookup("b"), lookup("c")]);
    store.rows.delete("a");
    store.rows.set("c", { id: "kc" });
    lookup.forget("a");
    lookup.forget("c");
    expect(await lookup("a")).toBeNull();
    expect(await lookup("c")).toEqual({ id: "kc" });
    expect(await lookup("b")).toEqual({ id: "kb" });
    expect(store.calls).toHaveLength(5);
    store.rows.delete("b");
    lookup.clear();
    expect(await lookup("b")).toBeNull();
    expect(store.calls).toHaveLength(6);
  });

  it("does not cache a lookup that was in flight when its hash was forgotten", async () => {
    const store = fakeStore({ a: { id: "old" } });
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock: clockAt() });
    store.hold();
    const before = lookup("a");
    lookup.forget("a");
    store.rows.set("a", { id: "new" });
    store.release();
    expect(await before).toEqual({ id: "old" });
    expect(await lookup("a")).toEqual({ id: "new" });
    expect(store.calls).toHaveLength(2);
  });

  it("does not cache errors, and a failed lookup is shared by its concurrent callers", async () => {
    let fail = true;
    let calls = 0;
    const lookup = cachedKeyLookup(
      async () => {
        calls++;
        if (fail) throw new Error("database down");
        return { id: "k" };
      },
      { ttlMs: 10_000, clock: clockAt() },
    );
    const results = await Promise.allSettled([lookup("h"), lookup("h")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    fail = false;
    expect(await lookup("h")).toEqual({ id: "k" });
    expect(calls).toBe(2);
  });

  it("bounds misses apart from found keys: a flood of junk evicts no key", async () => {
    const store = fakeStore({ good: { id: "k" } });
    const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, clock: clockAt(), maxEntries: 10, maxMisses: 100 });
    await lookup("good");
    for (let i = 0; i < 1_000; i++) await lookup(`junk-${i}`);
    await lookup("good");
    expect(store.calls.filter((h) => h === "good")).toHaveLength(1);
    // Only the newest 100 misses are kept.
    await lookup("junk-999");
    await lookup("junk-0");
    expect(store.calls.filter((h) => h === "junk-999")).toHaveLength(1);
    expect(store.calls.filter((h) => h === "junk-0")).toHaveLength(2);
  });

  it("with ttlMs 0 keeps nothing but still merges concurrent lookups", async () => {
    const store = fakeStore({ h: { id: "k" } });
    const lookup = cachedKeyLookup(store.find, { ttlMs: 0, clock: clockAt() });
    store.hold();
    const both = Promise.all([lookup("h"), lookup("h")]);
    store.release();
    await both;
    await lookup("h");
    await lookup("junk");
    await lookup("junk");
    expect(store.calls).toEqual(["h", "h", "junk", "junk"]);
  });

  describe("refreshAfterMs", () => {
    const settle = () => new Promise((r) => setTimeout(r, 0));

    it.each([
      // [ms after the first lookup, whether that lookup starts a background read]
      [4_999, false],
      [5_000, true],
      [9_999, true],
    ])("a lookup %i ms in answers from the cache; a background read: %s", async (later, reads) => {
      const store = fakeStore({ h: { id: "k" } });
      const clock = clockAt();
      const kept: Promise<unknown>[] = [];
      const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, refreshAfterMs: 5_000, clock, keepAlive: (w) => void kept.push(w) });
      await lookup("h");
      clock.t += later;
      store.hold();
      // Answered at once, even while the database is held.
      expect(await lookup("h")).toEqual({ id: "k" });
      expect(store.calls).toHaveLength(reads ? 2 : 1);
      expect(kept).toHaveLength(reads ? 1 : 0);
      store.release();
    });

    it("the background read renews the entry, so a busy key never expires into a waiting lookup", async () => {
      const store = fakeStore({ h: { id: "k" } });
      const clock = clockAt();
      const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, refreshAfterMs: 5_000, clock });
      await lookup("h");
      for (let i = 0; i < 10; i++) {
        clock.t += 6_000;
        store.hold();
        expect(await lookup("h")).toEqual({ id: "k" });
        store.release();
        await settle();
      }
      // One read at first, then one per lookup past half the ttl: none waited.
      expect(store.calls).toHaveLength(11);
    });

    it("concurrent lookups past half the ttl start one background read", async () => {
      const store = fakeStore({ h: { id: "k" } });
      const clock = clockAt();
      const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, refreshAfterMs: 5_000, clock });
      await lookup("h");
      clock.t += 6_000;
      store.hold();
      await Promise.all([lookup("h"), lookup("h"), lookup("h")]);
      store.release();
      expect(store.calls).toHaveLength(2);
    });

    it("a key the background read no longer finds is gone from the next lookup on", async () => {
      const store = fakeStore({ h: { id: "k" } });
      const clock = clockAt();
      const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, refreshAfterMs: 5_000, clock });
      await lookup("h");
      store.rows.delete("h");
      clock.t += 5_000;
      expect(await lookup("h")).toEqual({ id: "k" });
      await settle();
      expect(await lookup("h")).toBeNull();
    });

    it("a failed background read changes nothing: the entry still expires at its ttl", async () => {
      let fail = false;
      let calls = 0;
      const clock = clockAt();
      const lookup = cachedKeyLookup(
        async () => {
          calls++;
          if (fail) throw new Error("database down");
          return { id: "k" };
        },
        { ttlMs: 10_000, refreshAfterMs: 5_000, clock },
      );
      await lookup("h");
      fail = true;
      clock.t += 5_000;
      expect(await lookup("h")).toEqual({ id: "k" });
      await settle();
      clock.t += 4_999;
      expect(await lookup("h")).toEqual({ id: "k" });
      await settle();
      clock.t += 1;
      await expect(lookup("h")).rejects.toThrow("database down");
      expect(calls).toBe(4);
    });

    it("a background read that was in flight when the key was forgotten does not renew it", async () => {
      const store = fakeStore({ h: { id: "old" } });
      const clock = clockAt();
      const lookup = cachedKeyLookup(store.find, { ttlMs: 10_000, refreshAfterMs: 5_000, clock });
      await lookup("h");
      clock.t += 5_000;
      store.hold();
      expect(await lookup("h")).toEqual({ id: "old" });
      lookup.forget("h");
      store.rows.set("h", { id: "new" });
      store.release();
      await settle();
      expect(await lookup("h")).toEqual({ id: "new" });
    });
  });
});
