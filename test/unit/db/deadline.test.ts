import { describe, expect, it, vi } from "vitest";
import { DatabaseUnavailableError, databaseUnavailable, refusedByDatabase, rootMessage, sqlStateOf, withDeadline } from "../../../src/db/deadline";

// Shaped like the drivers' errors: postgres.js PostgresError and PGlite's DatabaseError both carry severity and code.
const server = (code: string) => Object.assign(new Error(`server said ${code}`), { severity: "ERROR", code });
// drizzle wraps driver errors as DrizzleQueryError with the driver's error as `cause`.
const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: insert ..."), { cause });

describe("refusedByDatabase", () => {
  it.each([
    ["22P05 untranslatable character (NUL in jsonb)", server("22P05"), true],
    ["22003 numeric value out of range", server("22003"), true],
    ["23503 foreign key violation", server("23503"), true],
    ["23502 not null violation", server("23502"), true],
    ["42703 undefined column", server("42703"), true],
    ["54000 program limit exceeded", server("54000"), true],
    ["wrapped by drizzle", wrapped(server("22021")), true],
    ["08006 connection failure", server("08006"), false],
    ["57P01 admin shutdown", server("57P01"), false],
    ["57014 query canceled", server("57014"), false],
    ["53300 too many connections", server("53300"), false],
    ["40001 serialization failure", server("40001"), false],
    ["55P03 lock not available", server("55P03"), false],
    ["25006 read-only transaction (failover)", server("25006"), false],
    ["28P01 password authentication failed", server("28P01"), false],
    ["3D000 database does not exist", server("3D000"), false],
    ["XX000 internal error", server("XX000"), false],
    ["ECONNREFUSED", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), false],
    ["EPIPE (five letters, no severity)", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }), false],
    ["postgres.js CONNECTION_CLOSED", wrapped(Object.assign(new Error("closed"), { code: "CONNECTION_CLOSED" })), false],
    ["plain error", new Error("PGlite is closed"), false],
    ["not an error", "boom", false],
    ["null", null, false],
  ])("%s → %s", (_name, err, expected) => expect(refusedByDatabase(err)).toBe(expected));
});

describe("sqlStateOf", () => {
  it.each([
    [server("23505"), "23505"],
    [wrapped(wrapped(server("22P02"))), "22P02"],
    [new Error("x"), null],
    [undefined, null],
  ])("%#", (err, expected) => expect(sqlStateOf(err)).toBe(expected));
});

describe("rootMessage", () => {
  it("is the driver's message, not drizzle's statement and parameters", () => {
    expect(rootMessage(wrapped(server("23503")))).toBe("server said 23503");
    expect(rootMessage("x")).toBe("x");
  });
});

describe("withDeadline", () => {
  it("resolves with the work when it answers in time", async () => {
    await expect(withDeadline(Promise.resolve(42), 1000)).resolves.toBe(42);
  });

  it("rejects with DatabaseUnavailableError once the deadline passes, without waiting for the work", async () => {
    vi.useFakeTimers();
    try {
      const never = new Promise<number>(() => {});
      const result = withDeadline(never, 500).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(499);
      let settled = false;
      void result.then(() => (settled = true));
      await Promise.resolve();
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const err = await result;
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect((err as Error).message).toContain("500 ms");
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), true],
    ["an admin shutdown", wrapped(server("57P01")), true],
    ["a foreign key violation", wrapped(server("23503")), false],
  ])("turns %s into DatabaseUnavailableError: %s", async (_name, failure, unavailable) => {
    const err = await withDeadline(Promise.reject(failure), 1000).catch((e: unknown) => e);
    expect(err instanceof DatabaseUnavailableError).toBe(unavailable);
    if (!unavailable) expect(err).toBe(failure);
    expect(databaseUnavailable(err)).toBe(unavailable);
  });
});
