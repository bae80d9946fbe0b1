import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../../src/translate/openai-types";

const base = { model: "m", messages: [{ role: "user", content: "hi" }] };
const firstIssue = (req: unknown) => {
  const r = ChatCompletionRequestSchema.safeParse(req);
  if (r.success) throw new Error("expected a schema error");
  return { path: r.error.issues[0]!.path, message: r.error.issues[0]!.message };
};

describe("ChatCompletionRequestSchema accepts", () => {
  it.each([
    ["minimal", base],
    [
      "every role and part type",
      {
        ...base,
        messages: [
          { role: "system", content: "s", name: "n" },
          { role: "developer", content: [{ type: "text", text: "d", cache_control: { type: "ephemeral", ttl: "5m" } }] },
          {
            role: "user",
            content: [
              { type: "text", text: "t" },
              { type: "image_url", image_url: { url: "data:image/png;base64,QUJD", detail: "low" } },
              { type: "file", file: { file_data: "data:application/pdf;base64,QUJD", filename: "a.pdf" } },
              { type: "input_audio", input_audio: { data: "QUJD", format: "wav" } },
            ],
            cache_control: { type: "ephemeral" },
          },
          {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
            reasoning_content: "r",
            thinking_blocks: [
              { type: "thinking", thinking: "t", signature: "s" },
              { type: "redacted_thinking", data: "d" },
            ],
          },
          { role: "tool", tool_call_id: "c", content: [{ type: "text", text: "r" }] },
          { role: "assistant", content: [{ type: "refusal", refusal: "no" }], function_call: { name: "f", arguments: "{}" } },
          { role: "function", name: "f", content: null },
        ],
      },
    ],
    [
      "every top-level field",
      {
        ...base,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 10,
        max_completion_tokens: 10,
        temperature: 2,
        top_p: 1,
        stop: ["x"],
        n: 1,
        logprobs: false,
        top_logprobs: 0,
        seed: 1,
        user: "u",
        metadata: { k: "v" },
        logit_bias: { "50256": -100 },
        frequency_penalty: 0,
        presence_penalty: 0,
        parallel_tool_calls: true,
        store: false,
        service_tier: "auto",
        tools: [
          { type: "function", function: { name: "f", description: "d", parameters: { type: "object" }, strict: true }, cache_control: { type: "ephemeral" } },
        ],
        tool_choice: { type: "function", function: { name: "f" } },
        functions: [{ name: "g" }],
        function_call: { name: "g" },
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" }, strict: true } },
        reasoning_effort: "xhigh",
        additionalModelRequestFields: { top_k: 1 },
        guardrailConfig: { guardrailIdentifier: "g", guardrailVersion: "1" },
        bedrock: { additionalModelRequestFields: {} },
      },
    ],
    ["nulls for optional fields", { ...base, tools: null, tool_choice: null, stop: null, temperature: null, stream_options: null, response_format: null }],
  ])("%s", (_name, req) => {
    expect(ChatCompletionRequestSchema.safeParse(req).success).toBe(true);
  });

  it("keeps unknown top-level fields (passthrough) without validating them", () => {
    const r = ChatCompletionRequestSchema.parse({ ...base, prediction: { type: "content" }, x_custom: 1 });
    expect(r).toMatchObject({ prediction: { type: "content" }, x_custom: 1 });
  });
});

describe("ChatCompletionRequestSchema rejects with a path", () => {
  it.each([
    ["missing model", { messages: base.messages }, ["model"]],
    ["empty messages", { model: "m", messages: [] }, ["messages"]],
    ["bad role", { model: "m", messages: [{ role: "robot", content: "x" }] }, ["messages", 0, "role"]],
    ["content of wrong type", { model: "m", messages: [{ role: "user", content: 5 }] }, ["messages", 0, "content"]],
    [
      "bad part deep in content",
      {
        model: "m",
        messages: [
          { role: "user", content: "a" },
          {
            role: "user",
            content: [
              { type: "text", text: "ok" },
              { type: "text", text: 1 },
            ],
          },
        ],
      },
      ["messages", 1, "content", 1, "text"],
    ],
    ["unknown part type", { model: "m", messages: [{ role: "user", content: [{ type: "video_url" }] }] }, ["messages", 0, "content", 0, "type"]],
    [
      "image without url",
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] },
      ["messages", 0, "content", 0, "image_url", "url"],
    ],
    ["tool message without id", { model: "m", messages: [{ role: "tool", content: "x" }] }, ["messages", 0, "tool_call_id"]],
    [
      "tool call arguments not a string",
      { model: "m", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: {} } }] }] },
      ["messages", 0, "tool_calls", 0, "function", "arguments"],
    ],
    ["temperature out of range", { ...base, temperature: 2.5 }, ["temperature"]],
    ["max_tokens zero", { ...base, max_tokens: 0 }, ["max_tokens"]],
    ["max_tokens fractional", { ...base, max_tokens: 1.5 }, ["max_tokens"]],
    ["top_p above 1", { ...base, top_p: 1.1 }, ["top_p"]],
    ["bad reasoning_effort", { ...base, reasoning_effort: "extreme" }, ["reasoning_effort"]],
    ["tool without name", { ...base, tools: [{ type: "function", function: {} }] }, ["tools", 0, "function", "name"]],
    ["bad response_format", { ...base, response_format: { type: "yaml" } }, ["response_format", "type"]],
    [
      "bad cache_control type",
      { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "a", cache_control: { type: "forever" } }] }] },
      ["messages", 0, "content", 0, "cache_control", "type"],
    ],
    ["bad guardrail", { ...base, guardrailConfig: { guardrailIdentifier: "g" } }, ["guardrailConfig", "guardrailVersion"]],
    ["stream not boolean", { ...base, stream: "yes" }, ["stream"]],
  ])("%s", (_name, req, path) => {
    expect(firstIssue(req).path).toEqual(path);
  });

  it("content of wrong type has a readable message", () => {
    expect(firstIssue({ model: "m", messages: [{ role: "user", content: 5 }] }).message).toBe("must be a string or an array of content parts");
  });
});
