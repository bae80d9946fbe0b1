import { describe, expect, it } from "vitest";
import { cliCommandFor, daysOf, parseDay, resolvePeriod } from "../../../src/admin/periods";

const NOW = Date.parse("2026-12-02T15:30:00Z");
const JAN = Date.parse("2027-01-10T00:00:01Z");

describe("resolvePeriod", () => {
  it.each([
    { choice: {}, now: NOW, since: "2026-12-01T00:00:00.000Z", until: "2027-01-01T00:00:00.000Z", last: "2026-12-31" },
    { choice: { period: "this-month" }, now: NOW, since: "2026-12-01T00:00:00.000Z", until: "2027-01-01T00:00:00.000Z", last: "2026-12-31" },
    { choice: { period: "last-month" }, now: NOW, since: "2026-11-01T00:00:00.000Z", until: "2026-12-01T00:00:00.000Z", last: "2026-11-30" },
    { choice: { period: "last-month" }, now: JAN, since: "2026-12-01T00:00:00.000Z", until: "2027-01-01T00:00:00.000Z", last: "2026-12-31" },
    { choice: { period: "7d" }, now: NOW, since: "2026-11-26T00:00:00.000Z", until: "2026-12-03T00:00:00.000Z", last: "2026-12-02" },
    { choice: { period: "30d" }, now: NOW, since: "2026-11-03T00:00:00.000Z", until: "2026-12-03T00:00:00.000Z", last: "2026-12-02" },
    {
      choice: { period: "custom", from: "2026-02-01", to: "2026-02-28" },
      now: NOW,
      since: "2026-02-01T00:00:00.000Z",
      until: "2026-03-01T00:00:00.000Z",
      last: "2026-02-28",
    },
    {
      choice: { period: "custom", from: "2026-12-02", to: "2026-12-02" },
      now: NOW,
      since: "2026-12-02T00:00:00.000Z",
      until: "2026-12-03T00:00:00.000Z",
      last: "2026-12-02",
    },
  ])("$choice → [$since, $until)", ({ choice, now, since, until, last }) => {
    const r = resolvePeriod(choice, now);
    if (!r.ok) throw new Error(r.message);
    expect(r.period.since.toISOString()).toBe(since);
    expect(r.period.until.toISOString()).toBe(until);
    expect(r.period.lastDay).toBe(last);
  });

  it.each([
    [{ period: "yesterday" }, "period"],
    [{ period: "custom" }, "from"],
    [{ period: "custom", from: "2026-02-30", to: "2026-03-01" }, "from"],
    [{ period: "custom", from: "2026-03-01", to: "03/02/2026" }, "to"],
    [{ period: "custom", from: "2026-03-02", to: "2026-03-01" }, "to"],
    [{ period: "custom", from: "2024-01-01", to: "2026-03-01" }, "to"],
  ])("%o is refused naming %s", (choice, field) => {
    const r = resolvePeriod(choice, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe(field);
  });
});

describe("days and the CLI command", () => {
  it("lists every UTC day of a period", () => {
    const r = resolvePeriod({ period: "7d" }, NOW);
    if (!r.ok) throw new Error();
    expect(daysOf(r.period)).toEqual(["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
  });

  it.each([
    ["2026-12-02", Date.UTC(2026, 11, 2)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["2026-02-29", null],
    ["2026-12-2", null],
  ])("parseDay(%s)", (text, want) => expect(parseDay(text)).toBe(want));

  it("names the same window for the CLI, --until exclusive", () => {
    const r = resolvePeriod({ period: "custom", from: "2026-12-01", to: "2026-12-02" }, NOW);
    if (!r.ok) throw new Error();
    expect(cliCommandFor(r.period, "team", { user: "a@b.example", team: "it's" })).toBe(
      "bedrock-gateway usage report --since 2026-12-01 --until 2026-12-03 --by team --user a@b.example --team 'it'\\''s'",
    );
  });
});
