import { describe, expect, it } from "vitest";
import { TOOL_USE_ID, toBedrockToolUseId, toToolName } from "../../../src/translate/tool-ids";

describe("toBedrockToolUseId", () => {
  it.each(["call_abc123", "tooluse_XyZ", "a.b:c-d_e", "x".repeat(64)])("keeps valid id %s", (id) => {
    expect(toBedrockToolUseId(id)).toBe(id);
  });

  it.each(["call abc", "toolu_01/xyz", "x".repeat(65), "", "ünïcode", "functions.get_weather:0 "])("rewrites %j stably and validly", (id) => {
    const a = toBedrockToolUseId(id);
    expect(a).toMatch(TOOL_USE_ID);
    expect(toBedrockToolUseId(id)).toBe(a);
  });

  it("keeps distinct ids distinct", () => {
    expect(toBedrockToolUseId("call 1")).not.toBe(toBedrockToolUseId("call_1 "));
    expect(toBedrockToolUseId(`${"a".repeat(70)}1`)).not.toBe(toBedrockToolUseId(`${"a".repeat(70)}2`));
  });

  it("keeps a readable prefix", () => {
    expect(toBedrockToolUseId("call abc")).toMatch(/^call_abc-[0-9a-z]+$/);
  });
});

describe("toToolName", () => {
  it.each([
    ["person", "person"],
    ["my schema!", "my_schema_"],
    ["", "fallback"],
    [null, "fallback"],
    ["___", "fallback"],
    ["a".repeat(80), "a".repeat(64)],
  ])("%j → %s", (label, expected) => {
    expect(toToolName(label, "fallback")).toBe(expected);
  });
});
