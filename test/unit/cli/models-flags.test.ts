import { describe, expect, it } from "vitest";
import { modelChangeFromFlags, parseTarget, parseTargetPrice } from "../../../src/cli/commands/models";

describe("models set flags", () => {
  it.each([
    ["us.anthropic.claude-sonnet-4-6", { modelId: "us.anthropic.claude-sonnet-4-6" }],
    ["anthropic.claude-3-haiku-20240307-v1:0@eu-west-1", { modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: "eu-west-1" }],
    ["amazon.nova-pro-v1:0@us-gov-west-1", { modelId: "amazon.nova-pro-v1:0", region: "us-gov-west-1" }],
    [
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123@us-east-1",
      { modelId: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", region: "us-east-1" },
    ],
  ])("parseTarget(%s)", (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each(["", "claude sonnet", "amazon.nova-pro-v1:0@", "amazon.nova-pro-v1:0@useast1", "model*"])("parseTarget refuses %j", (text) => {
    expect(() => parseTarget(text)).toThrow("--target must be a Bedrock model id");
  });

  it.each([
    [{}, { alias: "m" }],
    [
      { target: ["a.b-v1:0", "us.a.b-v1:0@us-west-2"], input: "3", output: "15" },
      { alias: "m", targets: [{ modelId: "a.b-v1:0" }, { modelId: "us.a.b-v1:0", region: "us-west-2" }], price: { input: 3_000_000, output: 15_000_000 } },
    ],
    [
      { "cache-read": "0.3", "cache-write": "none" },
      { alias: "m", price: { cacheRead: 300_000, cacheWrite: null } },
    ],
    [{ alias: ["m-2025", "m-latest"] }, { alias: "m", aliases: ["m-2025", "m-latest"] }],
    [{ alias: ["a,b"] }, { alias: "m", aliases: ["a", "b"] }],
    [{ alias: ["none"] }, { alias: "m", aliases: [] }],
    [{ kind: "embedding" }, { alias: "m", kind: "embedding" }],
  ])("modelChangeFromFlags(%j)", (values, change) => {
    expect(modelChangeFromFlags("m", values)).toEqual(change);
  });

  it.each([
    [{ input: "-1" }, "--input must be an amount in USD"],
    [{ output: "3.1234567" }, "--output must be an amount in USD"],
    [{ alias: ["bad name"] }, '--alias must be a model name of letters, digits and . _ : / - (got "bad name")'],
    [{ kind: "image" }, '--kind must be chat or embedding (got "image")'],
  ])("refuses %j", (values, message) => {
    expect(() => modelChangeFromFlags("m", values)).toThrow(message);
  });

  it.each([
    ["global.a.b-v1:0=3,15", { modelId: "global.a.b-v1:0", price: { input: 3_000_000, output: 15_000_000 } }],
    [
      "a.b-v1:0@eu-west-1=0.3,2.5,0.03,0.375",
      { modelId: "a.b-v1:0", region: "eu-west-1", price: { input: 300_000, output: 2_500_000, cacheRead: 30_000, cacheWrite: 375_000 } },
    ],
    ["a.b-v1:0=1,2,,0.000001", { modelId: "a.b-v1:0", price: { input: 1_000_000, output: 2_000_000, cacheWrite: 1 } }],
    ["a.b-v1:0=none", { modelId: "a.b-v1:0", price: null }],
  ])("parseTargetPrice(%s)", (text, want) => {
    expect(parseTargetPrice(text)).toEqual(want);
  });

  it.each([
    ["a.b-v1:0", "--target-price must be BEDROCK_ID[@REGION]=INPUT,OUTPUT"],
    ["a.b-v1:0=3", "--target-price must be BEDROCK_ID[@REGION]=INPUT,OUTPUT"],
    ["a.b-v1:0=,15", "--target-price must be BEDROCK_ID[@REGION]=INPUT,OUTPUT"],
    ["a.b-v1:0=1,2,3,4,5", "--target-price must be BEDROCK_ID[@REGION]=INPUT,OUTPUT"],
    ["a.b-v1:0=1,2.0000001", '--target-price output must be an amount in USD with at most six decimals, such as 5 or 12.50 (got "2.0000001")'],
    ["bad id=1,2", "--target-price must be a Bedrock model id"],
  ])("parseTargetPrice refuses %j", (text, message) => {
    expect(() => parseTargetPrice(text)).toThrow(message);
  });

  it("--target-price is repeatable and goes with the model's own price flags", () => {
    expect(modelChangeFromFlags("m", { input: "3.3", "target-price": ["g.x-v1:0=3,15", "us.x-v1:0=none"] })).toEqual({
      alias: "m",
      price: { input: 3_300_000 },
      targetPrices: [
        { modelId: "g.x-v1:0", price: { input: 3_000_000, output: 15_000_000 } },
        { modelId: "us.x-v1:0", price: null },
      ],
    });
  });

  it("refuses a bad alias", () => {
    expect(() => modelChangeFromFlags("my model", {})).toThrow('ALIAS must be a model name of letters, digits and . _ : / - (got "my model")');
  });
});
