/**
 * The database catalogue when the database goes away as its TTL runs out: the last catalogue loaded keeps serving
 * (no 500 for every request that needed a reload, as `npm run soak` found), a stalled reload is not waited for
 * past the deadline, and without any catalogue yet the answer is DatabaseUnavailableError (a 503).
 */
import { describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/client";
import { DatabaseUnavailableError } from "../../../src/db/deadline";
import { createLogger } from "../../../src/logger";
import { databaseCatalogue } from "../../../src/models/source";

type Mode = "ok" | "fail" | "hang";

/** Just enough of a Db for listModelRows: an empty table (the built-in seed serves), a refused connection, or silence. */
function fakeDb() {
  const state = { mode: "ok" as Mode, queries: 0 };
  const db = {
    select: () => ({
      from: () => ({
        orderBy: () => {
          state.queries++;
          if (state.mode === "ok") return Promise.resolve([]);
          if (state.mode === "fail") return Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
          return new Promise(() => {});
        },
      }),
    }),
  } as unknown as Db;
  return { db, state };
}

function source(deadlineMs = 50) {
  let now = 1_000_000;
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger("debug", (l) => lines.push(JSON.parse(l)));
  const catalogue = databaseCatalogue({ ttlMs: 60_000, now: () => now, logger, deadlineMs, retryMs: 1_000 });
  return { catalogue, lines, advance: (ms: number) => (now += ms) };
}

describe("databaseCatalogue during a database outage", () => {
  it("keeps serving the last catalogue when a reload fails, and reloads once the database is back", async () => {
    const { db, state } = fakeDb();
    const s = source();
    const first = await s.catalogue.get(db);
    expect(first.resolve("claude-sonnet-4-5")).toBeDefined();

    s.advance(61_000);
    state.mode = "fail";
    expect(await s.catalogue.get(db)).toBe(first);
    expect(s.lines.some((l) => l.level === "warn" && l.msg === "model catalogue reload failed: serving the last one loaded")).toBe(true);
    // Within the retry interval the stale copy serves without asking the database again.
    const asked = state.queries;
    expect(await s.catalogue.get(db)).toBe(first);
    expect(state.queries).toBe(asked);

    s.advance(1_001);
    state.mode = "ok";
    const fresh = await s.catalogue.get(db);
    expect(fresh).not.toBe(first);
    expect(await s.catalogue.get(db)).toBe(fresh);
  });

  it("does not wait past the deadline for a reload that never answers", async () => {
    const { db, state } = fakeDb();
    const s = source(50);
    const first = await s.catalogue.get(db);
    s.advance(61_000);
    state.mode = "hang";
    const started = Date.now();
    expect(await s.catalogue.get(db)).toBe(first);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("without a catalogue yet, an unreachable database is DatabaseUnavailableError, within the deadline", async () => {
    const { db, state } = fakeDb();
    state.mode = "fail";
    await expect(source().catalogue.get(db)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    state.mode = "hang";
    const started = Date.now();
    await expect(source(50).catalogue.get(db)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
