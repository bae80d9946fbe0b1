import { describe, expect, it } from "vitest";
import { MessagesRequestSchema } from "../../../../src/doors/anthropic-messages/schema";
import { toConverseFromMessages } from "../../../../src/doors/anthropic-messages/to-converse";
import { GatewayError } from "../../../../src/errors";
import { model, PLAIN } from "../../translate/helpers";

const NOVA = model({ id: "nova", vision: true, documents: true, caching: true, toolChoice: true });
const LLAMA = model({ id: "llama", toolChoice: false });
const tool = { name: "w", description: "weather", input_schema: { type: "object", properties: {} } };
const parse = (o: object) => MessagesRequestSchema.parse({ model: "m", max_tokens: 100, ...o });

describe("toConverseFromMessages", () => {
  it.each([
    [
      "a string message",
      { messages: [{ role: "user", content: "hi" }] },
      NOVA,
      { messages: [{ role: "user", content: [{ text: "hi" }] }], inferenceConfig: { maxTokens: 100 } },
      [],
    ],
    [
      "system blocks, sampling and stop sequences",
      {
        system: [{ type: "text", text: "s", cache_control: { type: "ephemeral", ttl: "1h" } }],
        temperature: 0.2,
        top_p: 0.9,
        stop_sequences: ["END"],
        messages: [{ role: "user", content: "hi" }],
      },
      NOVA,
      {
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        system: [{ text: "s" }, { cachePoint: { type: "default", ttl: "1h" } }],
        inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ["END"] },
      },
      [],
    ],
    [
      "images, documents and a tool loop with an error result",
      {
        tools: [tool],
        tool_choice: { type: "any" },
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
              { type: "document", source: { type: "text", data: "doc" }, title: "Notes_1!" },
              { type: "text", text: "go" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "text", text: "calling" },
              { type: "tool_use", id: "t1", name: "w", input: { a: 1 } },
            ],
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", is_error: true, content: [{ type: "text", text: "boom" }] }] },
        ],
      },
      NOVA,
      {
        messages: [
          {
            role: "user",
            content: [
              { image: { format: "png", source: { bytes: "AAAA" } } },
              { document: { format: "txt", name: "Notes 1 1", source: { text: "doc" } } },
              { text: "go" },
            ],
          },
          { role: "assistant", content: [{ text: "calling" }, { toolUse: { toolUseId: "t1", name: "w", input: { a: 1 } } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "boom" }], status: "error" } }] },
        ],
        inferenceConfig: { maxTokens: 100 },
        toolConfig: {
          tools: [{ toolSpec: { name: "w", description: "weather", inputSchema: { json: { type: "object", properties: {} } } } }],
          toolChoice: { any: {} },
        },
      },
      [],
    ],
    [
      "what the model cannot take is dropped with warnings",
      {
        top_k: 5,
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [tool],
        tool_choice: { type: "tool", name: "w" },
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "t", signature: "s" },
              { type: "text", text: "ok" },
            ],
          },
          { role: "user", content: "more" },
        ],
      },
      LLAMA,
      {
        messages: [
          { role: "user", content: [{ text: "hi" }] },
          { role: "assistant", content: [{ text: "ok" }] },
          { role: "user", content: [{ text: "more" }] },
        ],
        inferenceConfig: { maxTokens: 100 },
        toolConfig: { tools: [{ toolSpec: { name: "w", description: "weather", inputSchema: { json: { type: "object", properties: {} } } } }] },
      },
      [
        "tool_choice tool sent as auto: model 'llama' cannot be forced to call a tool",
        "top_k dropped: model 'llama' does not take it through Converse",
        "thinking dropped: model 'llama' has no extended thinking",
      ],
    ],
    [
      "consecutive user messages are merged, cache_control dropped for models without caching",
      {
        messages: [
          { role: "user", content: [{ type: "text", text: "a", cache_control: { type: "ephemeral" } }] },
          { role: "user", content: "b" },
        ],
      },
      PLAIN,
      { messages: [{ role: "user", content: [{ text: "a" }, { text: "b" }] }], inferenceConfig: { maxTokens: 100 } },
      [],
    ],
    [
      "tool_choice none sends no tools",
      { tools: [tool], tool_choice: { type: "none" }, messages: [{ role: "user", content: "hi" }] },
      NOVA,
      { messages: [{ role: "user", content: [{ text: "hi" }] }], inferenceConfig: { maxTokens: 100 } },
      [],
    ],
  ])("%s", (_label, input, m, body, warnings) => {
    expect(toConverseFromMessages(parse(input), m)).toEqual({ body, warnings });
  });

  it.each([
    [
      "an image URL",
      { messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://x/y.png" } }] }] },
      "messages[0].content[0].source",
    ],
    ["a server tool", { tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "hi" }] }, "tools[0].type"],
    ["an unknown block", { messages: [{ role: "user", content: [{ type: "search_result", source: "s" }] }] }, "messages[0].content[0].type"],
    ["a conversation starting with the assistant", { messages: [{ role: "assistant", content: "hi" }] }, "messages"],
  ])("refuses %s with a 400 naming it", (_label, input, param) => {
    let err: unknown;
    try {
      toConverseFromMessages(parse(input), NOVA);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, param });
  });
});
