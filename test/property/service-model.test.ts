/** The service-model checker the translation property relies on: it must see what Bedrock would refuse. */
import { describe, expect, it } from "vitest";
import { validateShape } from "./service-model";

const ok = { messages: [{ role: "user", content: [{ text: "hi" }] }] };

describe("validateShape(ConverseRequest)", () => {
  it("accepts a minimal body and a full one", () => {
    expect(validateShape("ConverseRequest", ok)).toEqual([]);
    expect(
      validateShape("ConverseRequest", {
        ...ok,
        system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
        inferenceConfig: { maxTokens: 100, temperature: 0.5, topP: 1, stopSequences: ["END"] },
        toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }], toolChoice: { auto: {} } },
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } },
      }),
    ).toEqual([]);
  });

  it.each([
    ["no messages member is fine, but a non-list is not", { messages: "hi" }, "expected a list"],
    ["a message without role", { messages: [{ content: [{ text: "x" }] }] }, "messages[0].role: required"],
    ["an unknown role", { messages: [{ role: "tool", content: [{ text: "x" }] }] }, "not in [user, assistant"],
    ["a content block with two members", { messages: [{ role: "user", content: [{ text: "x", image: {} }] }] }, "must have exactly one member"],
    ["an empty content block", { messages: [{ role: "user", content: [{}] }] }, "must have exactly one member"],
    ["an unknown member", { ...ok, temperature: 1 }, "$.temperature: not a member"],
    ["maxTokens 0", { ...ok, inferenceConfig: { maxTokens: 0 } }, "value 0 < min 1"],
    ["a fractional maxTokens", { ...ok, inferenceConfig: { maxTokens: 1.5 } }, "expected an integer"],
    ["temperature above 1", { ...ok, inferenceConfig: { temperature: 1.5 } }, "value 1.5 > max 1"],
    ["an empty stop sequence", { ...ok, inferenceConfig: { stopSequences: [""] } }, "length 0 < min 1"],
    ["a tool name with a space", { ...ok, toolConfig: { tools: [{ toolSpec: { name: "get weather", inputSchema: { json: {} } } }] } }, "does not match"],
    ["a tool name over 64", { ...ok, toolConfig: { tools: [{ toolSpec: { name: "x".repeat(65), inputSchema: { json: {} } } }] } }, "length 65 > max 64"],
    ["no tools", { ...ok, toolConfig: { tools: [] } }, "length 0 < min 1"],
    ["an image format Bedrock lacks", { messages: [{ role: "user", content: [{ image: { format: "bmp", source: { bytes: "AAAA" } } }] }] }, "not in [png"],
    [
      "image bytes that are not base64",
      { messages: [{ role: "user", content: [{ image: { format: "png", source: { bytes: "not base64" } } }] }] },
      "expected base64",
    ],
    ["a blank cache point type", { ...ok, system: [{ cachePoint: {} }] }, "type: required"],
  ])("refuses %s", (_label, body, problem) => {
    expect(validateShape("ConverseRequest", body).join("\n")).toContain(problem);
  });
});
