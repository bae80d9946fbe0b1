import { describe, expect, it } from "vitest";
import { findBodyProblem } from "../../../../src/doors/bedrock-native/check-body";
import { parseRequestBody } from "../../../../src/doors/bedrock-native/request";
import { REQUEST_SHAPES } from "../../../../src/doors/bedrock-native/request-shapes";

const user = (text: unknown) => ({ role: "user", content: [{ text }] });
const converse = (body: unknown) => findBodyProblem(REQUEST_SHAPES, "ConverseRequest", body);

describe("findBodyProblem against the service model's Converse shapes", () => {
  it.each([
    ["a plain conversation", { messages: [user("hi")] }],
    [
      "system, inference config, tools",
      {
        messages: [user("hi")],
        system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
        inferenceConfig: { maxTokens: 10, temperature: 0.5, topP: 1, stopSequences: ["x"] },
        toolConfig: {
          tools: [{ toolSpec: { name: "t", inputSchema: { json: { type: "object", anything: [1, { deep: true }] } } } }],
          toolChoice: { auto: {} },
        },
      },
    ],
    [
      "tool use and results",
      {
        messages: [
          user("hi"),
          { role: "assistant", content: [{ toolUse: { toolUseId: "1", name: "t", input: { a: 1 } } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "1", content: [{ json: { ok: true } }, { text: "done" }], status: "success" } }] },
        ],
      },
    ],
    ["an image", { messages: [{ role: "user", content: [{ image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }] }] }],
    ["members the model does not know yet (left to Bedrock)", { messages: [user("hi")], someNewMember: { x: 1 } }],
    ["a union member the model does not know yet", { messages: [{ role: "user", content: [{ futureBlock: {} }] }] }],
    ["null members (absent, as the SDKs send them)", { messages: [user("hi")], system: null }],
    ["no messages (Bedrock decides)", {}],
  ])("accepts %s", (_name, body) => expect(converse(body)).toBeNull());

  it.each([
    ["a body that is not an object", [], "body", /The request body must be an object/],
    ["messages not a list", { messages: {} }, "messages", /'messages' must be a list/],
    ["a message without role", { messages: [{ content: [] }] }, "messages.0.role", /is required/],
    ["a message without content", { messages: [{ role: "user" }] }, "messages.0.content", /is required/],
    ["text not a string", { messages: [user(5)] }, "messages.0.content.0.text", /must be a string/],
    [
      "two members of a content block union",
      { messages: [{ role: "user", content: [{ text: "a", cachePoint: { type: "default" } }] }] },
      "messages.0.content.0",
      /exactly one/,
    ],
    ["maxTokens not an integer", { messages: [user("a")], inferenceConfig: { maxTokens: "10" } }, "inferenceConfig.maxTokens", /must be an integer/],
    ["temperature not a number", { messages: [user("a")], inferenceConfig: { temperature: "hot" } }, "inferenceConfig.temperature", /must be a number/],
    [
      "a tool without its spec's name",
      { messages: [user("a")], toolConfig: { tools: [{ toolSpec: { inputSchema: { json: {} } } }] } },
      "toolConfig.tools.0.toolSpec.name",
      /is required/,
    ],
    ["toolConfig without tools", { messages: [user("a")], toolConfig: {} }, "toolConfig.tools", /is required/],
    [
      "image bytes not base64 text",
      { messages: [{ role: "user", content: [{ image: { format: "png", source: { bytes: 1 } } }] }] },
      "messages.0.content.0.image.source.bytes",
      /base64/,
    ],
    ["requestMetadata values not strings", { messages: [user("a")], requestMetadata: { team: 1 } }, "requestMetadata.team", /must be a string/],
  ])("refuses %s", (_name, body, path, message) => {
    const problem = converse(body);
    expect(problem?.path).toBe(path);
    expect(problem?.message).toMatch(message);
  });

  it("checks CountTokens' input union", () => {
    expect(findBodyProblem(REQUEST_SHAPES, "CountTokensRequest", { input: { invokeModel: { body: "e30=" } } })).toBeNull();
    expect(findBodyProblem(REQUEST_SHAPES, "CountTokensRequest", {})?.path).toBe("input");
    expect(findBodyProblem(REQUEST_SHAPES, "CountTokensRequest", { input: { converse: { messages: "x" } } })?.path).toBe("input.converse.messages");
  });

  it("walks a deep body without recursion", () => {
    let json: unknown = 1;
    for (let i = 0; i < 10_000; i++) json = { a: [json] };
    expect(converse({ messages: [user("a")], toolConfig: { tools: [{ toolSpec: { name: "t", inputSchema: { json } } }] } })).toBeNull();
  });
});

describe("parseRequestBody", () => {
  it.each([
    ["converse", "{", /Malformed input request/],
    ["converse", "[]", /Malformed input request/],
    ["invoke", '"text"', /Malformed input request/],
    ["converse", JSON.stringify({ messages: 1 }), /'messages' must be a list/],
    ["converse", `{"messages":[${"[".repeat(70)}${"]".repeat(70)}]}`, /nested deeper than 64/],
  ] as const)("%s %s → 400", (op, text, message) => {
    expect(() => parseRequestBody(op, text)).toThrow(message);
  });

  it("takes any JSON object as an InvokeModel body (the model's own format)", () => {
    expect(parseRequestBody("invoke", JSON.stringify({ anthropic_version: "bedrock-2023-05-31", messages: "anything" }))).toMatchObject({
      messages: "anything",
    });
  });
});
