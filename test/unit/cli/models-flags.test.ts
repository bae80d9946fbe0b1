import { describe, expect, it } from "vitest";
import { modelChangeFromFlags, parseTarget } from "../../../src/cli/commands/models";

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

  it("refuses a bad alias", () => {
    expect(() => modelChangeFromFlags("my model", {})).toThrow('ALIAS must be a model name of letters, digits and . _ : / - (got "my model")');
  });
});
