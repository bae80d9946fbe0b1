/** The Vercel AI SDK and LangChain, each through a streamed multi-turn tool conversation, an image question and a reasoning request. */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { type AIMessageChunk, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { generateObject, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PNG_1PX } from "../fixtures/media";
import { createTestKey, e2e, type TestKey } from "../support/e2e";

const MODEL = "claude-sonnet-4-5";

describe(`Vercel AI SDK (${e2e().runtime})`, () => {
  let key: TestKey;
  beforeAll(async () => void (key = await createTestKey("aisdk")));
  afterAll(async () => key.revoke());
  const provider = () => createOpenAICompatible({ name: "gateway", baseURL: e2e().baseURL, apiKey: key.key, includeUsage: true });

  it("streams a multi-step tool conversation", async () => {
    const calls: string[] = [];
    const result = streamText({
      model: provider()(MODEL),
      tools: {
        get_weather: tool({
          description: "Weather for a city",
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
          execute: async ({ city }) => {
            calls.push(city);
            return { city, temperature_c: 19 };
          },
        }),
      },
      stopWhen: stepCountIs(3),
      prompt: "Use get_weather for Lisbon.",
    });
    let text = "";
    for await (const part of result.textStream) text += part;
    expect(calls).toHaveLength(1);
    expect(text).toContain("temperature_c");
    expect((await result.steps).length).toBe(2);
    expect((await result.totalUsage).outputTokens).toBeGreaterThan(0);
  });

  it("answers an image question", async () => {
    const { text } = await generateText({
      model: provider()(MODEL),
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image", image: PNG_1PX, mediaType: "image/png" },
          ],
        },
      ],
    });
    expect(text).toMatch(/png/i);
  });

  it("generates a structured object (response_format json_schema)", async () => {
    const model = createOpenAICompatible({ name: "gateway", baseURL: e2e().baseURL, apiKey: key.key, supportsStructuredOutputs: true })(MODEL);
    const { object } = await generateObject({
      model,
      schema: jsonSchema<{ city: string; population: number }>({
        type: "object",
        properties: { city: { type: "string" }, population: { type: "integer" } },
        required: ["city", "population"],
        additionalProperties: false,
      }),
      prompt: "A city and its population",
    });
    expect(typeof object.city).toBe("string");
    expect(Number.isInteger(object.population)).toBe(true);
  });

  it("streams reasoning", async () => {
    const result = streamText({ model: provider()(MODEL), prompt: "Think about it", providerOptions: { gateway: { reasoningEffort: "low" } } });
    for await (const _ of result.fullStream) void _;
    expect((await result.reasoningText)?.length ?? 0).toBeGreaterThan(0);
    expect((await result.text).length).toBeGreaterThan(0);
  });
});

describe(`LangChain (${e2e().runtime})`, () => {
  let key: TestKey;
  beforeAll(async () => void (key = await createTestKey("langchain")));
  afterAll(async () => key.revoke());
  const chat = (extra: Record<string, unknown> = {}) =>
    new ChatOpenAI({ model: MODEL, apiKey: key.key, configuration: { baseURL: e2e().baseURL }, maxRetries: 0, streamUsage: true, ...extra });

  it("streams a multi-turn tool conversation", async () => {
    const weather = {
      type: "function" as const,
      function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
    };
    const model = chat().bindTools([weather]);
    const history: BaseMessage[] = [new HumanMessage("Call get_weather for Madrid.")];
    let first: AIMessageChunk | undefined;
    for await (const chunk of await model.stream(history)) first = first ? first.concat(chunk) : chunk;
    expect(first!.tool_calls).toHaveLength(1);
    const call = first!.tool_calls![0]!;
    expect(call.name).toBe("get_weather");
    expect(call.args).toHaveProperty("city");
    history.push(first!, new ToolMessage({ tool_call_id: call.id!, content: "sunny, 30C" }));
    let second: AIMessageChunk | undefined;
    for await (const chunk of await model.stream(history)) second = second ? second.concat(chunk) : chunk;
    expect(String(second!.content)).toContain("sunny");
  });

  it("returns structured output with withStructuredOutput", async () => {
    const schema = { type: "object", properties: { answer: { type: "string" }, confidence: { type: "number" } }, required: ["answer", "confidence"] };
    const res = (await chat()
      .withStructuredOutput(schema, { name: "verdict" })
      .invoke([new HumanMessage("Decide")])) as { answer: unknown; confidence: unknown };
    expect(typeof res.answer).toBe("string");
    expect(typeof res.confidence).toBe("number");
  });

  it("answers an image question", async () => {
    const res = await chat().invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: PNG_1PX } },
        ],
      }),
    ]);
    expect(String(res.content)).toMatch(/png/i);
  });

  it("sends reasoning_effort and receives reasoning_content", async () => {
    // LangChain sends `reasoning` only for OpenAI's own reasoning model names; other models take it as a model kwarg.
    const res = await chat({ modelKwargs: { reasoning_effort: "low" } }).invoke([new HumanMessage("Think first")]);
    expect(String(res.additional_kwargs.reasoning_content ?? "").length).toBeGreaterThan(0);
    expect(String(res.content).length).toBeGreaterThan(0);
  });
});
