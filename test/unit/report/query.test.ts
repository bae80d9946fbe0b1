import { describe, expect, it } from "vitest";
import { parseReportInstant, parseReportQuery } from "../../../src/report/query";

const NOW = Date.parse("2026-12-02T12:00:00Z");

describe("parseReportInstant (the CLI's --since/--until words)", () => {
  it.each([
    ["30d", "2026-11-02T12:00:00.000Z"],
    ["12h", "2026-12-02T00:00:00.000Z"],
    ["90M", "2026-12-02T10:30:00.000Z"],
    ["30s", "2026-12-02T11:59:30.000Z"],
    ["2026-12-01", "2026-12-01T00:00:00.000Z"],
    ["2026-12-01T08:30", "2026-12-01T08:30:00.000Z"],
    ["2026-12-01 08:30:15", "2026-12-01T08:30:15.000Z"],
    ["2026-12-01T08:30:00+02:00", "2026-12-01T06:30:00.000Z"],
    ["2026-12-01T08:30:00.123Z", "2026-12-01T08:30:00.123Z"],
  ])("%s → %s", (text, iso) => expect(parseReportInstant(text, NOW)?.toISOString()).toBe(iso));

  it.each(["yesterday", "2026-02-30", "2026-13-01", "2026-12-01T25:00", "1w", "-5d", ""])("%s is not one", (text) =>
    expect(parseReportInstant(text, NOW)).toBeNull(),
  );
});

describe("parseReportQuery", () => {
  it("defaults as the CLI does: the last 30 days by user", () => {
    const r = parseReportQuery({}, NOW);
    if (!r.ok) throw new Error(r.message);
    expect(r.query).toEqual({ by: ["user"], since: new Date(NOW - 30 * 86_400_000), until: new Date(NOW) });
  });

  it.each([
    [
      { by: "Team, user", user: " A@B.example ", team: " platform " },
      { by: ["team", "user"], user: "a@b.example", team: "platform" },
    ],
    [{ by: "day" }, { by: ["day"] }],
    [{ user: "", team: "" }, { by: ["user"] }],
  ])("%o", (words, want) => {
    const r = parseReportQuery(words, NOW);
    if (!r.ok) throw new Error(r.message);
    expect(r.query).toMatchObject(want);
    if (!("user" in want)) expect(r.query.user).toBeUndefined();
  });

  it.each([
    [{ since: "soon" }, "since"],
    [{ until: "later" }, "until"],
    [{ since: "2026-12-02", until: "2026-12-01" }, "until"],
    [{ since: "1d", until: "1d" }, "until"],
    [{ by: "owner" }, "by"],
    [{ by: "user,user" }, "by"],
    [{ by: "user,team,model" }, "by"],
    [{ user: "nobody" }, "user"],
    [{ team: "x\u0000y" }, "team"],
  ])("%o is refused naming %s", (words, param) => {
    const r = parseReportQuery(words, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.param).toBe(param);
  });
});
