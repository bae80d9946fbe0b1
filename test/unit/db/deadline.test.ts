import { describe, expect, it } from "vitest";
import { refusedByDatabase, sqlStateOf } from "../../../src/usage/batch-writer";

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
