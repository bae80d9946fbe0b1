import { describe, expect, it } from "vitest";
import type { RetryClass } from "../../../src/routing/classify";
import { firstTarget, nextTarget, targetRegion } from "../../../src/routing/select";

const avail = (open: number[]) => (i: number) => !open.includes(i);

describe("firstTarget", () => {
  it.each([
    ["the first in order", 3, [], 0],
    ["skips an open breaker", 3, [0], 1],
    ["skips several", 3, [0, 1], 2],
    ["all open: order decides", 3, [0, 1, 2], 0],
  ])("%s", (_, count, open, expected) => {
    expect(firstTarget({ count, available: avail(open) })).toBe(expected);
  });
});

describe("nextTarget", () => {
  it.each<[string, number, number, RetryClass, number[], number[], number | null]>([
    ["never: stop", 2, 0, "never", [], [], null],
    ["throttled: the next target", 2, 0, "next", [], [], 1],
    ["throttled on the last: wraps to the first", 2, 1, "next", [], [], 0],
    ["throttled with one target: that target again", 1, 0, "next", [], [], 0],
    ["5xx: the same target once", 2, 0, "same", [], [], 0],
    ["5xx again: the next target", 2, 0, "same", [0], [], 1],
    ["5xx on a target whose breaker just opened: the next", 2, 0, "same", [], [0], 1],
    ["next skips an open target", 3, 0, "next", [], [1], 2],
    ["next wraps past open ones", 3, 1, "next", [], [2], 0],
    ["every other target open: the failing one, if available", 3, 0, "next", [], [1, 2], 0],
    ["every target open: the following one by order", 3, 0, "next", [], [0, 1, 2], 1],
    ["5xx with one target, already retried: that target again", 1, 0, "same", [0], [], 0],
  ])("%s", (_, count, current, retry, retriedSame, open, expected) => {
    expect(nextTarget({ count, available: avail(open), current, retry, retriedSame: new Set(retriedSame) })).toBe(expected);
  });
});

describe("targetRegion", () => {
  it.each([
    ["the target's region", { modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: "us-west-2" }, "us-west-2"],
    ["no region: the default", { modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: null }, "us-east-1"],
    ["a geo profile: the default", { modelId: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", region: null }, "us-east-1"],
    [
      "an application inference profile ARN: its region",
      { modelId: "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123", region: null },
      "eu-west-1",
    ],
    ["a GovCloud ARN", { modelId: "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/x", region: null }, "us-gov-west-1"],
    [
      "an explicit region wins over the ARN's",
      { modelId: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.x", region: "eu-central-1" },
      "eu-central-1",
    ],
  ])("%s", (_, target, expected) => {
    expect(targetRegion(target, "us-east-1")).toBe(expected);
  });
});
