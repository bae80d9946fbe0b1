import { describe, expect, it } from "vitest";
import { allowedTargets, patternMatches, stripRegionPrefix } from "../../../src/policy/models";

describe("patternMatches", () => {
  it.each([
    ["anthropic.*", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", true],
    ["anthropic.*", "global.anthropic.claude-haiku-4-5-20251001-v1:0", true],
    ["anthropic.*", "anthropic.claude-3-7-sonnet-20250219-v1:0", true],
    ["anthropic.*", "amazon.nova-lite-v1:0", false],
    ["us.anthropic.*", "global.anthropic.claude-x", false],
    ["claude-*", "claude-sonnet-4-5", true],
    ["claude-*", "xclaude-sonnet", false],
    ["nova-lite", "nova-lite", true],
    ["nova-lite", "nova-lite-2", false],
    ["nova-lite", "NOVA-LITE", false],
    ["amazon.nova-lite-v1:0", "us.amazon.nova-lite-v1:0", true],
    ["a.b", "aXb", false],
    ["*", "anything", true],
  ])("%s ~ %s → %s", (pattern, name, expected) => expect(patternMatches(pattern, name)).toBe(expected));

  it.each([
    ["us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"],
    ["apac.anthropic.claude-x", "anthropic.claude-x"],
    ["amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"],
    ["arn:aws:bedrock:us-east-1:1:application-inference-profile/abc", "arn:aws:bedrock:us-east-1:1:application-inference-profile/abc"],
  ])("stripRegionPrefix(%s)", (id, bare) => expect(stripRegionPrefix(id)).toBe(bare));
});

describe("allowedTargets", () => {
  const sonnet = {
    names: ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
    targetIds: ["us.anthropic.claude-sonnet-4-5-v1:0", "global.anthropic.claude-sonnet-4-5-v1:0"],
  };
  it.each<[string, (string[] | null)[], string[]]>([
    ["no lists: every target", [null, null, null], sonnet.targetIds],
    ["allowed by alias", [["claude-sonnet-4-5"], null, null], sonnet.targetIds],
    ["allowed by its other name", [["claude-sonnet-4-5-20250929"]], sonnet.targetIds],
    ["an id pattern keeps only the targets it matches", [["us.anthropic.*"]], ["us.anthropic.claude-sonnet-4-5-v1:0"]],
    ["every level must allow it", [["claude-*"], ["nova-*"], null], []],
    ["a key narrows its team", [["global.*"], null, ["anthropic.*"]], ["global.anthropic.claude-sonnet-4-5-v1:0"]],
    ["an empty list allows nothing", [[]], []],
    ["another model's name does not help", [["claude-haiku-4-5"]], []],
  ])("%s", (_name, lists, expected) => expect(allowedTargets(lists, sonnet)).toEqual(expected));

  it("a raw id the catalogue does not list is allowed only by an id pattern", () => {
    expect(allowedTargets([["claude-*"]], { names: [], targetIds: ["us.anthropic.claude-opus-4-1-v1:0"] })).toEqual([]);
    expect(allowedTargets([["anthropic.claude-opus-*"]], { names: [], targetIds: ["us.anthropic.claude-opus-4-1-v1:0"] })).toEqual([
      "us.anthropic.claude-opus-4-1-v1:0",
    ]);
  });
});
