import { describe, expect, it } from "vitest";
import { parseBy, reportColumns, reportCsv, reportJson, reportTable } from "../../../src/cli/report-format";
import type { ReportRow } from "../../../src/db/report";

const sums = { errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
const row = (groups: ReportRow["groups"], requests: number, costMicros: number, extra: Partial<ReportRow> = {}): ReportRow => ({
  groups,
  ...sums,
  requests,
  costMicros,
  ...extra,
});

describe("--by", () => {
  it.each([
    ["user", ["user"]],
    ["team,user", ["team", "user"]],
    [" User , Model ", ["user", "model"]],
    ["day", ["day"]],
  ])("parseBy(%j)", (text, by) => {
    expect(parseBy(text)).toEqual(by);
  });

  it.each([
    ["usr", '--by takes one or two of user, team, key, model, day, comma-separated (got "usr"; did you mean user?)'],
    ["project", '--by takes one or two of user, team, key, model, day, comma-separated (got "project")'],
    ["team,user,model", '--by takes at most two words, such as team,user (got "team,user,model")'],
    ["user,user", "--by names user twice"],
    ["", '--by takes one or two of user, team, key, model, day, comma-separated (got "")'],
  ])("parseBy refuses %j", (text, message) => {
    expect(() => parseBy(text)).toThrow(message);
  });

  it.each([
    [["user"], ["user"]],
    [["key"], ["key", "key_name", "key_user"]],
    [
      ["team", "key"],
      ["team", "key", "key_name", "key_user"],
    ],
  ] as const)("columns for %j", (by, groups) => {
    expect(reportColumns(by)).toEqual([
      ...groups,
      "requests",
      "errors",
      "input_tokens",
      "output_tokens",
      "cache_read_tokens",
      "cache_write_tokens",
      "cost_usd",
    ]);
  });
});

describe("report output", () => {
  const rows = [
    row({ team: "ml", user: "a@example.com" }, 3, 2738, { inputTokens: 1200, outputTokens: 80, errors: 1 }),
    row({ team: null, user: "b@example.com" }, 1, 1),
  ];

  it("JSON: one object per group, costs as six-decimal strings, a missing team is null", () => {
    expect(reportJson(rows, ["team", "user"])).toEqual([
      {
        team: "ml",
        user: "a@example.com",
        requests: 3,
        errors: 1,
        input_tokens: 1200,
        output_tokens: 80,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: "0.002738",
      },
      {
        team: null,
        user: "b@example.com",
        requests: 1,
        errors: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: "0.000001",
      },
    ]);
  });

  it("JSON under key: prefix, name and owner; jwt callers by their user", () => {
    const byKey = [
      row({ key: "bgw_live_ab12cd" }, 2, 10, { keyName: "laptop", keyUser: "a@example.com" }),
      row({ key: "jwt:c@example.com" }, 1, 5, { keyName: null, keyUser: "c@example.com" }),
    ];
    expect(reportJson(byKey, ["key"]).map((o) => [o.key, o.key_name, o.key_user])).toEqual([
      ["bgw_live_ab12cd", "laptop", "a@example.com"],
      ["jwt:c@example.com", null, "c@example.com"],
    ]);
  });

  it("CSV: a header row of the JSON member names; null is empty; fields with commas are quoted", () => {
    const withComma = [...rows, row({ team: "r,d", user: 'q"@example.com' }, 1, 0)];
    expect(reportCsv(withComma, ["team", "user"])).toEqual([
      "team,user,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd",
      "ml,a@example.com,3,1,1200,80,0,0,0.002738",
      ",b@example.com,1,0,0,0,0,0,0.000001",
      '"r,d","q""@example.com",1,0,0,0,0,0,0.000000',
    ]);
  });

  it("table: aligned columns and a TOTAL line that is the exact sum", () => {
    const lines = reportTable(rows, ["team", "user"]);
    expect(lines).toEqual([
      "TEAM       USER           REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  CACHE WRITE  COST USD",
      "ml         a@example.com         3       1  1,200      80           0            0  0.002738",
      "(no team)  b@example.com         1       0      0       0           0            0  0.000001",
      "TOTAL                            4       1  1,200      80           0            0  0.002739",
    ]);
  });

  it("table totals add integers: a million 1 µ$ rows make exactly one dollar", () => {
    const many = Array.from({ length: 1000 }, (_, i) => row({ user: `u${i}@example.com` }, 1000, 1000));
    expect(reportTable(many, ["user"]).at(-1)).toMatch(/^TOTAL\s+1,000,000\s.*\s1\.000000$/);
  });
});
