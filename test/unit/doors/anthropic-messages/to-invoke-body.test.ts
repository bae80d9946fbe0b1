import { describe, expect, it } from "vitest";
import { MessagesRequestSchema } from "../../../../src/doors/anthropic-messages/schema";
import { toInvokeModelBody } from "../../../../src/doors/anthropic-messages/to-invoke-body";

const SONNET = { bedrockModelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", structuredOutput: "native", reasoning: "claude-thinking" } as const;
const OLD = { bedrockModelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", structuredOutput: "tool", reasoning: "claude-thinking" } as const;
const hi = [{ role: "user", content: "hi" }];
const toolTurn = [
  { role: "user", content: "weather?" },
  { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "w", input: {} }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
];
const tools = [{ name: "w", input_schema: { type: "object" } }];

describe("toInvokeModelBody", () => {
  it.each([
    [
      "moves model and stream out, adds anthropic_version, keeps the rest as sent",
      {
        model: "m",
        stream: true,
        max_tokens: 10,
        messages: hi,
        system: [{ type: "text", text: "s", cache_control: { type: "ephemeral" } }],
        temperature: 0.5,
        top_k: 3,
        stop_sequences: ["X"],
      },
      SONNET,
      null,
      {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 10,
        messages: hi,
        system: [{ type: "text", text: "s", cache_control: { type: "ephemeral" } }],
        temperature: 0.5,
        top_k: 3,
        stop_sequences: ["X"],
      },
      [],
    ],
    [
      "keeps thinking blocks and their signatures untouched",
      {
        model: "m",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [
          { role: "user", content: "q" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "t", signature: "sig" },
              { type: "text", text: "a" },
            ],
          },
          { role: "user", content: "more" },
        ],
      },
      SONNET,
      null,
      {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [
          { role: "user", content: "q" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "t", signature: "sig" },
              { type: "text", text: "a" },
            ],
          },
          { role: "user", content: "more" },
        ],
      },
      [],
    ],
    [
      "reduces metadata to user_id and betas to Bedrock's, in the body",
      { model: "m", max_tokens: 5, messages: hi, metadata: { user_id: "u" } },
      SONNET,
      "claude-code-20250219,interleaved-thinking-2025-05-14",
      { anthropic_version: "bedrock-2023-05-31", anthropic_beta: ["interleaved-thinking-2025-05-14"], max_tokens: 5, messages: hi, metadata: { user_id: "u" } },
      [],
    ],
    [
      "tool_choice none without tool history sends no tools",
      { model: "m", max_tokens: 5, messages: hi, tools, tool_choice: { type: "none" } },
      SONNET,
      null,
      { anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: hi },
      [],
    ],
    [
      "tool_choice none with tool history keeps the tools without a choice, with a warning",
      { model: "m", max_tokens: 5, messages: toolTurn, tools, tool_choice: { type: "none" } },
      SONNET,
      null,
      { anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: toolTurn, tools },
      ["tool_choice none: Bedrock has no equivalent while the conversation holds tool calls, so tools were sent without a choice"],
    ],
    [
      "drops fields Bedrock does not take, naming them",
      { model: "m", max_tokens: 5, messages: hi, service_tier: "auto", container: "c", output_config: { effort: "low" } },
      OLD,
      null,
      { anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: hi },
      ["output_config dropped: this model does not take it on Bedrock", "dropped fields Bedrock does not accept: service_tier, container"],
    ],
    [
      "keeps output_config where the model has structured outputs",
      { model: "m", max_tokens: 5, messages: hi, output_config: { format: { type: "json_schema", schema: {} } } },
      SONNET,
      null,
      { anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: hi, output_config: { format: { type: "json_schema", schema: {} } } },
      [],
    ],
  ])("%s", (_label, input, model, beta, body, warnings) => {
    const req = MessagesRequestSchema.parse(input);
    expect(toInvokeModelBody(req, { model, betaHeader: beta })).toEqual({ body, warnings });
  });
});
