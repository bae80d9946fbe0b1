import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/cli/format";
import {
  isNone,
  parseDuration,
  parseEmail,
  parseExpires,
  parseGrace,
  parseIsoDate,
  parseLimit,
  parseModelList,
  parseSince,
  parseUsd,
} from "../../../src/cli/values";

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

describe("durations and dates", () => {
  it.each([
    ["30s", 30_000],
    ["90m", 5_400_000],
    ["12h", 43_200_000],
    ["30d", 2_592_000_000],
    ["7D", 604_800_000],
    ["2w", null],
    ["1.5h", null],
    ["h", null],
    ["-1d", null],
  ])("parseDuration(%s)", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["2026-01-31", "2026-01-31T00:00:00.000Z"],
    ["2026-01-31T12:30", "2026-01-31T12:30:00.000Z"],
    ["2026-01-31 12:30:15", "2026-01-31T12:30:15.000Z"],
    ["2026-01-31T12:30:15Z", "2026-01-31T12:30:15.000Z"],
    ["2026-01-31T12:30:15.250+02:00", "2026-01-31T10:30:15.250Z"],
    ["2026-02-30", null],
    ["2026-13-01", null],
    ["2026-01-31T24:00", null],
    ["31/01/2026", null],
    ["tomorrow", null],
  ])("parseIsoDate(%s)", (text, iso) => {
    expect(parseIsoDate(text)?.toISOString() ?? null).toBe(iso);
  });

  it("counts --expires and --grace forward, --since back", () => {
    expect(parseExpires("30d", NOW).getTime()).toBe(NOW + 30 * 86_400_000);
    expect(parseExpires("2027-01-01", NOW).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(parseGrace("0", NOW).getTime()).toBe(NOW);
    expect(parseGrace("90m", NOW).getTime()).toBe(NOW + 5_400_000);
    expect(parseSince("12h", NOW).getTime()).toBe(NOW - 43_200_000);
    expect(parseSince("2026-11-01", NOW).toISOString()).toBe("2026-11-01T00:00:00.000Z");
  });

  it.each([
    [() => parseExpires("2020-01-01", NOW), '--expires must be in the future (got "2020-01-01", 2020-01-01T00:00:00.000Z)'],
    [() => parseExpires("0s", NOW), '--expires must be in the future (got "0s", 2026-12-02T12:00:00.000Z)'],
    [
      () => parseExpires("soon", NOW),
      '--expires must be an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d) (got "soon")',
    ],
    [() => parseGrace("2020-01-01", NOW), '--grace must not be in the past (got "2020-01-01", 2020-01-01T00:00:00.000Z)'],
    [
      () => parseSince("2w", NOW, "--until"),
      '--until must be an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration (30s, 90m, 12h, 30d) (got "2w")',
    ],
  ])("refuses bad values with one line (%#)", (fn, message) => {
    expect(fn).toThrow(new UsageError(message));
  });
});

describe("money, limits, lists, names", () => {
  it.each([
    ["5", 5_000_000],
    ["12.50", 12_500_000],
    ["0.000001", 1],
    [" 0 ", 0],
  ])("parseUsd(%s)", (text, micros) => {
    expect(parseUsd(text, "--budget-daily")).toBe(micros);
  });

  it.each(["-1", "1.0000001", "5 USD", "$5", "1e3", "", "abc"])("parseUsd refuses %j", (text) => {
    expect(() => parseUsd(text, "--budget-daily")).toThrow(
      new UsageError(`--budget-daily must be an amount in USD with at most six decimals, such as 5 or 12.50 (got "${text}")`),
    );
  });

  it.each([
    ["60", 60],
    ["2147483647", 2147483647],
  ])("parseLimit(%s)", (text, n) => {
    expect(parseLimit(text, "--rpm")).toBe(n);
  });

  it.each(["0", "-5", "1.5", "2147483648", "ten"])("parseLimit refuses %j", (text) => {
    expect(() => parseLimit(text, "--rpm")).toThrow(new UsageError(`--rpm must be a whole number from 1 to 2147483647 (got "${text}")`));
  });

  it.each([
    ["claude-*,nova-pro", ["claude-*", "nova-pro"]],
    [" anthropic.* , us.anthropic.claude-sonnet-4-5-20250929-v1:0 ", ["anthropic.*", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"]],
    ["a,a", ["a"]],
  ])("parseModelList(%s)", (text, list) => {
    expect(parseModelList(text)).toEqual(list);
  });

  it.each([
    ["a,,b", '"a,,b"'],
    ["claude sonnet", '"claude sonnet"'],
  ])("parseModelList refuses %j", (text, shown) => {
    expect(() => parseModelList(text)).toThrow(`--models must be a comma-separated list of model ids, aliases or wildcards such as claude-* (got ${shown})`);
  });

  it.each([
    ["none", true],
    ["NONE", true],
    ["", true],
    ["  ", true],
    ["0", false],
  ])("isNone(%j)", (text, none) => {
    expect(isNone(text)).toBe(none);
  });

  it("parseEmail lower-cases and checks the address", () => {
    expect(parseEmail(" Alice@Example.COM ")).toBe("alice@example.com");
    expect(() => parseEmail("alice")).toThrow('--user must be an email address (got "alice")');
    expect(() => parseEmail(undefined)).toThrow("--user EMAIL is required");
  });
});
