/** Validation like Bedrock's: each rule gives a 400 ValidationException with the service's wording. */
import { describe, expect, it } from "vitest";
import { signReasoning } from "../../sim/reasoning";
import { HAIKU3, LLAMA, NOVA, PDF_MIN, PNG_1PX, signedPost, SONNET, TIME_TOOL, useSimulator, user, WEATHER_TOOL } from "./helpers";

const { sim } = useSimulator();
const tools = { tools: [WEATHER_TOOL] };
const thinking = (budget = 1024) => ({
  additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } },
  inferenceConfig: { maxTokens: 4096 },
});
const toolTurn = (id = "tooluse_a") => ({ role: "assistant", content: [{ toolUse: { toolUseId: id, name: "get_weather", input: { city: "x" } } }] });
const result = (id = "tooluse_a") => ({ role: "user", content: [{ toolResult: { toolUseId: id, content: [{ text: "sunny" }] } }] });
const jpegLabel = { image: { format: "jpeg", source: { bytes: PNG_1PX } } };
const schemaFormat = (schema: unknown) => ({ outputConfig: { textFormat: { type: "json_schema", structure: { jsonSchema: { schema } } } } });
const signedReasoning = (text: string, signature = signReasoning(text)) => ({ reasoningContent: { reasoningText: { text, signature } } });

type Case = [name: string, modelId: string, body: Record<string, unknown>, message: string | RegExp];

const CASES: Case[] = [
  ["unknown model", "anthropic.claude-nope-v1:0", { messages: [user("x")] }, "The provided model identifier is invalid."],
  ["profile of a region the model lacks", "eu.meta.llama3-3-70b-instruct-v1:0", { messages: [user("x")] }, "The provided model identifier is invalid."],
  ["embedding model on Converse", "amazon.titan-embed-text-v2:0", { messages: [user("x")] }, /doesn't support the model that you provided/],
  ["no messages", SONNET, { messages: [] }, "A conversation must start with a user message. Try again with a conversation that starts with a user message."],
  ["assistant first", SONNET, { messages: [{ role: "assistant", content: [{ text: "hi" }] }] }, /must start with a user message/],
  ["two user turns", SONNET, { messages: [user("a"), user("b")] }, /^A conversation must alternate between user and assistant roles/],
  [
    "blank text",
    SONNET,
    { messages: [user("ok"), { role: "assistant", content: [{ text: "fine" }, { text: "  " }] }, user("b")] },
    "The text field in the ContentBlock object at messages.1.content.1 is blank. Add text to the text field, and try again.",
  ],
  ["empty content", SONNET, { messages: [{ role: "user", content: [] }] }, /The content field in the Message object at messages.0 is empty/],
  ["blank system", SONNET, { system: [{ text: " " }], messages: [user("x")] }, /SystemContentBlock object at system.0 is blank/],
  [
    "toolUse without toolConfig",
    SONNET,
    { messages: [user("a"), toolTurn(), result()] },
    "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
  ],
  [
    "toolResult for another id",
    SONNET,
    { toolConfig: tools, messages: [user("a"), toolTurn("tooluse_a"), result("tooluse_b")] },
    "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a",
  ],
  [
    "toolResult without toolUse",
    SONNET,
    { toolConfig: tools, messages: [user("a"), { role: "assistant", content: [{ text: "hm" }] }, result()] },
    /^The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn/,
  ],
  [
    "toolUse left unanswered",
    SONNET,
    { toolConfig: tools, messages: [user("a"), toolTurn(), user("next")] },
    /Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a/,
  ],
  [
    "tool result after text (Claude)",
    SONNET,
    { toolConfig: tools, messages: [user("a"), toolTurn(), { role: "user", content: [{ text: "here" }, result().content[0]] }] },
    /Did not find 1 `tool_result` block\(s\) at the beginning of this message/,
  ],
  [
    "toolUse in a user turn",
    SONNET,
    { toolConfig: tools, messages: [{ role: "user", content: toolTurn().content }] },
    /User messages cannot contain tool uses/,
  ],
  [
    "error result without content",
    SONNET,
    {
      toolConfig: tools,
      messages: [user("a"), toolTurn(), { role: "user", content: [{ toolResult: { toolUseId: "tooluse_a", content: [], status: "error" } }] }],
    },
    /cannot be empty when status value is error/,
  ],
  [
    "bad tool name",
    SONNET,
    { toolConfig: { tools: [{ toolSpec: { name: "get weather", inputSchema: { json: { type: "object" } } } }] }, messages: [user("x")] },
    /toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern/,
  ],
  [
    "non-object tool schema",
    SONNET,
    { toolConfig: { tools: [{ toolSpec: { name: "t", inputSchema: { json: { type: "string" } } } }] }, messages: [user("x")] },
    "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object.",
  ],
  ["duplicate tool names", SONNET, { toolConfig: { tools: [WEATHER_TOOL, WEATHER_TOOL] }, messages: [user("x")] }, /Tool names must be unique/],
  [
    "toolChoice on Llama",
    LLAMA,
    { toolConfig: { tools: [WEATHER_TOOL], toolChoice: { any: {} } }, messages: [user("x")] },
    "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.",
  ],
  [
    "toolChoice naming no tool",
    SONNET,
    { toolConfig: { tools: [WEATHER_TOOL], toolChoice: { tool: { name: "nope" } } }, messages: [user("x")] },
    /Tool 'nope' not found/,
  ],
  [
    "maxTokens 0",
    SONNET,
    { inferenceConfig: { maxTokens: 0 }, messages: [user("x")] },
    "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
  ],
  [
    "maxTokens over the model limit",
    NOVA,
    { inferenceConfig: { maxTokens: 20000 }, messages: [user("x")] },
    "The maximum tokens you requested exceeds the model limit of 10000. Try again with a maximum tokens value that is lower than 10000.",
  ],
  [
    "temperature 1.5",
    NOVA,
    { inferenceConfig: { temperature: 1.5 }, messages: [user("x")] },
    /Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1/,
  ],
  [
    "topP -0.1",
    NOVA,
    { inferenceConfig: { topP: -0.1 }, messages: [user("x")] },
    /at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value greater than or equal to 0/,
  ],
  [
    "temperature with topP on Sonnet 4.5",
    SONNET,
    { inferenceConfig: { temperature: 0.5, topP: 0.9 }, messages: [user("x")] },
    "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.",
  ],
  ["empty stop sequence", NOVA, { inferenceConfig: { stopSequences: [""] }, messages: [user("x")] }, /stopSequences.1.member' failed to satisfy constraint/],
  [
    "more stop sequences than the service model allows",
    NOVA,
    { inferenceConfig: { stopSequences: Array.from({ length: 2501 }, (_, i) => `s${i}`) }, messages: [user("x")] },
    /at 'inferenceConfig.stopSequences' failed to satisfy constraint: Member must have length less than or equal to 2500$/,
  ],
  [
    "whitespace-only stop sequence on Claude",
    SONNET,
    { inferenceConfig: { stopSequences: ["END", "\n"] }, messages: [user("x")] },
    "The model returned the following errors: stop_sequences: each stop sequence must contain non-whitespace",
  ],
  [
    "Claude prefill ending in whitespace",
    SONNET,
    { messages: [user("x"), { role: "assistant", content: [{ text: "The answer is " }] }] },
    "The model returned the following errors: messages: final assistant content cannot end with trailing whitespace",
  ],
  [
    "Claude prefill ending in whitespace before a cache point",
    SONNET,
    { messages: [user("x"), { role: "assistant", content: [{ text: "{\n" }, { cachePoint: { type: "default" } }] }] },
    /final assistant content cannot end with trailing whitespace/,
  ],
  [
    "tool name longer than 64 characters",
    SONNET,
    { toolConfig: { tools: [{ toolSpec: { name: "t".repeat(65), inputSchema: { json: { type: "object" } } } }] }, messages: [user("x")] },
    `1 validation error detected: Value '${"t".repeat(65)}' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must have length less than or equal to 64`,
  ],
  [
    "cachePoint on Llama",
    LLAMA,
    { system: [{ text: "s" }, { cachePoint: { type: "default" } }], messages: [user("x")] },
    "You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.",
  ],
  [
    "cachePoint on Claude 3 Haiku",
    HAIKU3,
    { messages: [{ role: "user", content: [{ text: "x" }, { cachePoint: { type: "default" } }] }] },
    /did not allow prompt caching/,
  ],
  [
    "five cachePoints on Claude",
    SONNET,
    { messages: [{ role: "user", content: ["a", "b", "c", "d", "e"].flatMap((t) => [{ text: t }, { cachePoint: { type: "default" } }]) }] },
    /A maximum of 4 blocks with cache_control may be provided. Found 5./,
  ],
  [
    "image in an assistant turn",
    SONNET,
    { messages: [user("a"), { role: "assistant", content: [{ image: { format: "png", source: { bytes: PNG_1PX } } }] }, user("b")] },
    /'image' blocks are not permitted within assistant turns/,
  ],
  [
    "image format bmp",
    SONNET,
    { messages: [{ role: "user", content: [{ text: "x" }, { image: { format: "bmp", source: { bytes: PNG_1PX } } }] }] },
    "1 validation error detected: Value 'bmp' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [gif, jpeg, png, webp]",
  ],
  [
    "image bytes not base64",
    SONNET,
    { messages: [{ role: "user", content: [{ text: "x" }, { image: { format: "png", source: { bytes: "not base64!" } } }] }] },
    /not valid base64/,
  ],
  [
    "image bytes of another format",
    SONNET,
    { messages: [{ role: "user", content: [{ text: "x" }, jpegLabel] }] },
    "The model returned the following errors: The provided image does not match the specified image format.",
  ],
  [
    "image on a text-only model",
    LLAMA,
    { messages: [{ role: "user", content: [{ text: "x" }, { image: { format: "png", source: { bytes: PNG_1PX } } }] }] },
    /doesn't support the image content block/,
  ],
  [
    "document name with a dot",
    SONNET,
    { messages: [{ role: "user", content: [{ text: "x" }, { document: { name: "report.pdf", format: "pdf", source: { bytes: PDF_MIN } } }] }] },
    /^The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets/,
  ],
  [
    "document name with two spaces",
    SONNET,
    { messages: [{ role: "user", content: [{ text: "x" }, { document: { name: "a  b", format: "pdf", source: { bytes: PDF_MIN } } }] }] },
    /more than one consecutive whitespace/,
  ],
  [
    "duplicate document names",
    SONNET,
    {
      messages: [{ role: "user", content: [{ text: "x" }, ...[1, 2].map(() => ({ document: { name: "same", format: "txt", source: { bytes: PDF_MIN } } }))] }],
    },
    "Messages can't contain duplicate document names. Rename the document and retry your request.",
  ],
  ["thinking on Nova", NOVA, { ...thinking(), messages: [user("x")] }, /extraneous key \[thinking\] is not permitted/],
  [
    "thinking on Claude 3 Haiku",
    HAIKU3,
    { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }, messages: [user("x")] },
    /thinking: Extra inputs are not permitted/,
  ],
  [
    "thinking budget 1000",
    SONNET,
    { ...thinking(1000), messages: [user("x")] },
    "The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
  ],
  [
    "thinking budget >= maxTokens",
    SONNET,
    { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } }, inferenceConfig: { maxTokens: 2048 }, messages: [user("x")] },
    /`max_tokens` must be greater than `thinking.budget_tokens`/,
  ],
  [
    "thinking with temperature 0.2",
    SONNET,
    { ...thinking(), inferenceConfig: { maxTokens: 4096, temperature: 0.2 }, messages: [user("x")] },
    /`temperature` may only be set to 1 when thinking is enabled/,
  ],
  [
    "thinking with topP 0.5",
    SONNET,
    { ...thinking(), inferenceConfig: { maxTokens: 4096, topP: 0.5 }, messages: [user("x")] },
    /`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled/,
  ],
  [
    "thinking with a forced tool",
    SONNET,
    { ...thinking(), toolConfig: { tools: [WEATHER_TOOL], toolChoice: { any: {} } }, messages: [user("x")] },
    "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.",
  ],
  [
    "thinking, tool turn without reasoning",
    SONNET,
    { ...thinking(), toolConfig: tools, messages: [user("a"), toolTurn(), result()] },
    /messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/,
  ],
  [
    "thinking, assistant prefill without reasoning",
    SONNET,
    { ...thinking(), messages: [user("a"), { role: "assistant", content: [{ text: "Sure" }] }] },
    /Expected `thinking` or `redacted_thinking`, but found `text`/,
  ],
  [
    "thinking, reasoning with a forged signature",
    SONNET,
    {
      ...thinking(),
      toolConfig: tools,
      messages: [user("a"), { role: "assistant", content: [signedReasoning("plan", "Zm9yZ2Vk"), ...toolTurn().content] }, result()],
    },
    /messages.1.content.0: Invalid `signature` in `thinking` block/,
  ],
  ["json_schema output with an object schema", SONNET, { ...schemaFormat({ type: "object" }), messages: [user("x")] }, /jsonSchema.schema must be a string/],
  ["json_schema output that is not JSON", SONNET, { ...schemaFormat("{nope"), messages: [user("x")] }, /is not valid JSON/],
  [
    "json_schema output with an open nested object on Claude",
    SONNET,
    {
      ...schemaFormat(JSON.stringify({ type: "object", additionalProperties: false, properties: { a: { type: "object", properties: {} } } })),
      messages: [user("x")],
    },
    "The model returned the following errors: output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false",
  ],
  ["json_schema output on Llama", LLAMA, { ...schemaFormat("{}"), messages: [user("x")] }, /doesn't support the outputConfig.textFormat field/],
  ["unknown directive", SONNET, { messages: [user("[sim:eror=ThrottlingException]")] }, /directive \[sim:eror=ThrottlingException\] is unknown/],
  ["directive with a bad value", SONNET, { messages: [user("[sim:error=NoSuchException]")] }, /names no exception of the Bedrock Runtime service model/],
];

describe("Converse validation", () => {
  it.each(CASES)("%s → 400 ValidationException", async (_, modelId, body, message) => {
    const res = await signedPost(sim(), modelId, "converse", body);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/);
    const json = (await res.json()) as { message: string };
    if (typeof message === "string") expect(json.message).toBe(message);
    else expect(json.message).toMatch(message);
  });

  it.each<[string, string, Record<string, unknown>]>([
    [
      "thinking, earlier tool turns without reasoning (Anthropic strips them)",
      SONNET,
      { ...thinking(), toolConfig: tools, messages: [user("a"), toolTurn(), result(), { role: "assistant", content: [{ text: "done" }] }, user("next")] },
    ],
    [
      "thinking, current tool turn with its signed reasoning",
      SONNET,
      { ...thinking(), toolConfig: tools, messages: [user("a"), { role: "assistant", content: [signedReasoning("plan"), ...toolTurn().content] }, result()] },
    ],
    ["temperature with topP on Nova", NOVA, { inferenceConfig: { temperature: 0.5, topP: 0.9 }, messages: [user("x")] }],
    ["a whitespace-only stop sequence on Nova", NOVA, { inferenceConfig: { stopSequences: ["\n"] }, messages: [user("x")] }],
    ["a Nova prefill ending in whitespace", NOVA, { messages: [user("x"), { role: "assistant", content: [{ text: "Sure: " }] }] }],
    ["a Claude prefill, trimmed", SONNET, { messages: [user("x"), { role: "assistant", content: [{ text: "The answer is" }] }] }],
    [
      "interleaved thinking with a budget above maxTokens (it spans the whole turn)",
      SONNET,
      {
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 8192 }, anthropic_beta: ["interleaved-thinking-2025-05-14"] },
        inferenceConfig: { maxTokens: 4096 },
        messages: [user("x")],
      },
    ],
    ["cachePoints on Nova", NOVA, { system: [{ text: "s" }, { cachePoint: { type: "default" } }], messages: [user("x")] }],
    [
      "a document name with parentheses, brackets and underscores",
      SONNET,
      { messages: [{ role: "user", content: [{ text: "x" }, { document: { name: "Q3 (final) [v2]_a-b", format: "pdf", source: { bytes: PDF_MIN } } }] }] },
    ],
    [
      "toolResult blocks for parallel tool uses",
      SONNET,
      {
        toolConfig: { tools: [WEATHER_TOOL, TIME_TOOL] },
        messages: [
          user("a"),
          { role: "assistant", content: [...toolTurn("t1").content, ...toolTurn("t2").content] },
          { role: "user", content: [...result("t2").content, ...result("t1").content, { text: "thanks" }] },
        ],
      },
    ],
  ])("accepts %s", async (_, modelId, body) => {
    const res = await signedPost(sim(), modelId, "converse", body);
    expect(res.status, await res.clone().text()).toBe(200);
  });
});
