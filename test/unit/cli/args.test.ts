import { describe, expect, it } from "vitest";
import { closestName, editDistance, parseFlags, pickSubcommand, unknownFlagMessage } from "../../../src/cli/args";
import { UsageError } from "../../../src/cli/format";

const SPEC = { user: "string", rpm: "string", "budget-daily": "string", target: "multiple", json: "boolean" } as const;

describe("parseFlags", () => {
  it.each([
    [["--user", "a@x.io"], { user: "a@x.io" }, []],
    [["--user=a@x.io", "--json"], { user: "a@x.io", json: true }, []],
    [["--rpm", ""], { rpm: "" }, []],
    [["--rpm="], { rpm: "" }, []],
    [["--budget-daily", "-5"], { "budget-daily": "-5" }, []],
    [["--target", "a", "--target", "b@us-west-2"], { target: ["a", "b@us-west-2"] }, []],
    [["key_1", "--json"], { json: true }, ["key_1"]],
    [["--", "--json"], {}, ["--json"]],
  ])("%j", (args, values, positionals) => {
    expect(parseFlags(args, SPEC, 1)).toEqual({ values, positionals });
  });

  it.each([
    [["--rmp", "5"], "unknown flag --rmp (did you mean --rpm?)"],
    [["--budget_daily", "5"], "unknown flag --budget_daily (did you mean --budget-daily?)"],
    [["--usr=a"], "unknown flag --usr (did you mean --user?)"],
    [["--jsno"], "unknown flag --jsno (did you mean --json?)"],
    [["--frobnicate"], "unknown flag --frobnicate (known flags: --user, --rpm, --budget-daily, --target, --json)"],
    [["-x"], "unknown flag -x (known flags: --user, --rpm, --budget-daily, --target, --json)"],
    [["--user"], "--user needs a value"],
    [["--user", "--json"], "--user needs a value"],
    [["--json=yes"], "--json takes no value"],
    [["--rpm", "1", "--rpm", "2"], "--rpm is given more than once"],
    [["a", "b"], 'unexpected argument "b"'],
  ])("%j fails with one line", (args, message) => {
    expect(() => parseFlags(args, SPEC, 1)).toThrow(new UsageError(message));
  });

  it("says when a command takes no flags", () => {
    expect(() => parseFlags(["--force"], {})).toThrow("unknown flag --force (this command takes no flags)");
  });
});

describe("suggestions", () => {
  it.each([
    ["kitten", "sitting", 3],
    ["rmp", "rpm", 1],
    ["", "abc", 3],
    ["same", "same", 0],
  ])("editDistance(%s, %s) = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it.each([
    ["budget", ["budget-daily", "budget-monthly", "rpm"], "budget-daily"],
    ["tmp", ["rpm", "tpm"], "tpm"],
    ["xyzzy", ["rpm", "tpm"], null],
  ])("closestName(%s)", (name, known, expected) => {
    expect(closestName(name, known)).toBe(expected);
  });

  it("pickSubcommand suggests the nearest subcommand", () => {
    expect(pickSubcommand("keys", "create", ["create", "list"] as const)).toBe("create");
    expect(() => pickSubcommand("keys", "craete", ["create", "list"] as const)).toThrow('unknown keys subcommand "craete" (did you mean "create"?)');
    expect(() => pickSubcommand("keys", undefined, ["create", "list"] as const)).toThrow("keys needs a subcommand: create, list");
  });

  it("unknownFlagMessage keeps the flag as typed", () => {
    expect(unknownFlagMessage("--Rpm", ["rpm"])).toBe("unknown flag --Rpm (did you mean --rpm?)");
  });
});
