import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { toSql } from "../../../src/db/prepared";

const dialect = new PgDialect();

describe("toSql: a `$n` statement as drizzle SQL (the unnamed fallback of runPrepared)", () => {
  it.each([
    ["select bgw_admit($1::jsonb) as r", ["{}"], "select bgw_admit($1::jsonb) as r", ["{}"]],
    ["select bgw_settle($1::jsonb, $2::jsonb) as n", ["[]", "[1]"], "select bgw_settle($1::jsonb, $2::jsonb) as n", ["[]", "[1]"]],
    // Placeholders bound in order of appearance, whatever their numbers.
    ["select $2, $1", ["a", "b"], "select $1, $2", ["b", "a"]],
    ["select $1 = $1", [7], "select $1 = $2", [7, 7]],
    ["select 1", [], "select 1", []],
    ["$1", ["x"], "$1", ["x"]],
  ] as const)("%s", (text, params, sqlText, bound) => {
    const q = dialect.sqlToQuery(toSql(text, params));
    expect(q.sql).toBe(sqlText);
    expect(q.params).toEqual(bound);
  });

  it.each([
    ["select $2", ["a"]],
    ["select $0", ["a"]],
  ])("refuses %s with %j", (text, params) => {
    expect(() => toSql(text, params)).toThrow(/has no value/);
  });
});
