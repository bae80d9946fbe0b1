import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../../src/translate/openai-types";
import { toConverseRequest } from "../../../src/translate/openai-to-converse";
import { CLAUDE, ctxFor, PLAIN, PNG_B64, translate } from "./helpers";

const agentRequest = {
  messages: [
    { role: "system", content: [{ type: "text", text: "You are a coding agent.", cache_control: { type: "ephemeral" } }] },
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this image?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_B64}` } },
      ],
    },
    { role: "assistant", content: "", tool_calls: [{ id: "call_1", type: "function", function: { name: "describe", arguments: '{"detail":"high"}' } }] },
    { role: "tool", tool_call_id: "call_1", content: "A cat." },
    { role: "developer", content: "Answer in one word." },
  ],
  tools: [
    {
      type: "function",
      function: { name: "describe", description: "Describe an image", parameters: { type: "object", properties: { detail: { type: "string" } } } },
    },
  ],
  tool_choice: "auto",
  max_completion_tokens: 300,
  temperature: 0.4,
  stop: ["\n\n"],
  stream: true,
  stream_options: { include_usage: true },
  user: "u-1",
};

describe("toConverseRequest", () => {
  it("an agent turn, exactly", () => {
    expect(translate(agentRequest, CLAUDE)).toStrictEqual({
      body: {
        messages: [
          { role: "user", content: [{ text: "What is in this image?" }, { image: { format: "png", source: { bytes: PNG_B64 } } }] },
          { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "describe", input: { detail: "high" } } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "A cat." }] } }] },
        ],
        system: [{ text: "You are a coding agent." }, { cachePoint: { type: "default" } }, { text: "Answer in one word." }],
        // "\n\n" is dropped: Anthropic rejects whitespace-only stop sequences.
        inferenceConfig: { maxTokens: 300, temperature: 0.4 },
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: "describe",
                description: "Describe an image",
                inputSchema: { json: { type: "object", properties: { detail: { type: "string" } } } },
              },
            },
          ],
        },
      },
      thinking: false,
      warnings: ["1 whitespace-only stop sequence(s) dropped: model 'claude' accepts only stop sequences with visible characters"],
    });
  });

  it("a plain question on a plain model, exactly", () => {
    expect(translate({ messages: [{ role: "user", content: "Hi" }] }, PLAIN)).toStrictEqual({
      body: { messages: [{ role: "user", content: [{ text: "Hi" }] }], inferenceConfig: { maxTokens: 1000 } },
      thinking: false,
      warnings: [],
    });
  });

  it("is deterministic and does not mutate its input", () => {
    const req = ChatCompletionRequestSchema.parse({ model: "m", ...agentRequest });
    const snapshot = structuredClone(req);
    const a = toConverseRequest(req, ctxFor(CLAUDE));
    const b = toConverseRequest(req, ctxFor(CLAUDE));
    expect(a).toStrictEqual(b);
    expect(req).toStrictEqual(snapshot);
  });

  it("only the reasoning lookup is consulted, with the client's tool-call id", () => {
    const asked: string[] = [];
    translate({ ...agentRequest, reasoning_effort: "low" }, CLAUDE, { reasoningFor: (id) => (asked.push(id), undefined) });
    expect(asked).toEqual(["call_1"]);
  });
});
