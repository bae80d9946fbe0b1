import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PDF_DATA_URL, PNG_1PX } from "../fixtures/media";
import { createTestKey, e2e, openaiClient, simRequests, usageFor, type TestKey } from "../support/e2e";

const MODEL = "claude-sonnet-4-5";
type Msg = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** Accumulates a streamed completion the way OpenAI's own helpers do (tool calls keyed by `index`). */
async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let content = "";
  let reasoning = "";
  let finish: string | null = null;
  const calls: { id: string; name: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? "";
    reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? "";
    for (const tc of choice.delta.tool_calls ?? []) {
      const slot = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
      if (tc.id) slot.id = tc.id;
      if (tc.function?.name) slot.name = tc.function.name;
      slot.arguments += tc.function?.arguments ?? "";
    }
    finish = choice.finish_reason ?? finish;
  }
  return { content, reasoning, finish, calls };
}

describe(`OpenAI features through the openai SDK (${e2e().runtime})`, () => {
  let key: TestKey;
  let client: OpenAI;
  beforeAll(async () => {
    key = await createTestKey("features");
    client = openaiClient(key.key);
  });
  afterAll(async () => key.revoke());

  it("runs a streamed multi-turn tool conversation", async () => {
    const messages: Msg[] = [{ role: "user", content: "What is the weather in Paris? Use get_weather." }];
    const first = await collect(await client.chat.completions.create({ model: MODEL, stream: true, tools: [weatherTool], messages }));
    expect(first.finish).toBe("tool_calls");
    expect(first.calls).toHaveLength(1);
    expect(first.calls[0]!.name).toBe("get_weather");
    expect(first.calls[0]!.id).toBeTruthy();
    expect(JSON.parse(first.calls[0]!.arguments)).toHaveProperty("city");

    messages.push(
      {
        role: "assistant",
        content: null,
        tool_calls: first.calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
      },
      { role: "tool", tool_call_id: first.calls[0]!.id, content: '{"temperature_c": 21}' },
    );
    const second = await collect(await client.chat.completions.create({ model: MODEL, stream: true, tools: [weatherTool], messages }));
    expect(second.finish).toBe("stop");
    expect(second.content).toContain("temperature_c");
  });

  it("returns tool calls non-streaming with content null and parallel calls in order", async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      tools: [weatherTool],
      tool_choice: "required",
      messages: [{ role: "user", content: "Paris and Rome [sim:parallel-tools]" }],
    });
    const msg = res.choices[0]!.message;
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    expect(msg.content).toBeNull();
    expect(msg.tool_calls!.length).toBe(2);
    for (const tc of msg.tool_calls!) expect(() => JSON.parse((tc as { function: { arguments: string } }).function.arguments)).not.toThrow();
  });

  it("answers an image question from a data URL and refuses remote URLs with a 400 naming the part", async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this image?" },
            { type: "image_url", image_url: { url: PNG_1PX, detail: "low" } },
          ],
        },
      ],
    });
    expect(res.choices[0]!.message.content).toMatch(/png/i);
    const err = await client.chat.completions
      .create({
        model: MODEL,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "x" },
              { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
            ],
          },
        ],
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("messages[0].content[1].image_url.url");
  });

  it("sends a PDF file part as a document block", async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise" },
            { type: "file", file: { file_data: PDF_DATA_URL, filename: "report 2024.pdf" } },
          ],
        },
      ],
    });
    expect(res.choices[0]!.message.content).toMatch(/report 2024/);
  });

  it("streams reasoning_content and keeps thinking across a tool turn", async () => {
    const messages: Msg[] = [{ role: "user", content: "Think, then call get_weather for Oslo." }];
    const first = await collect(await client.chat.completions.create({ model: MODEL, stream: true, reasoning_effort: "low", tools: [weatherTool], messages }));
    expect(first.reasoning.length).toBeGreaterThan(0);
    expect(first.finish).toBe("tool_calls");
    messages.push(
      {
        role: "assistant",
        content: first.content || null,
        tool_calls: first.calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
      },
      { role: "tool", tool_call_id: first.calls[0]!.id, content: "cloudy" },
    );
    // The client does not send thinking back; the gateway restores the signed blocks, so the simulator (like Bedrock) accepts the turn.
    const second = await client.chat.completions.create({ model: MODEL, reasoning_effort: "low", tools: [weatherTool], messages });
    expect(second.choices[0]!.message.content).toContain("cloudy");
    const sent = (await simRequests()).filter((r) => r.operation === "Converse" || r.operation === "converse").at(-1);
    expect(JSON.stringify(sent?.body ?? {})).toContain("reasoningContent");
  });

  it("returns parseable JSON for json_schema and json_object", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    for (const model of [MODEL, "nova-pro"]) {
      const res = await client.chat.completions.create({
        model,
        response_format: { type: "json_schema", json_schema: { name: "person", schema } },
        messages: [{ role: "user", content: "Invent a person" }],
      });
      const parsed = JSON.parse(res.choices[0]!.message.content!);
      expect(typeof parsed.name).toBe("string");
      expect(Number.isInteger(parsed.age)).toBe(true);
      expect(res.choices[0]!.finish_reason).toBe("stop");
    }
    // An open schema (no additionalProperties: false) cannot use Claude's native output: the gateway uses a forced tool.
    const open = await client.chat.completions.create({
      model: MODEL,
      response_format: {
        type: "json_schema",
        json_schema: { name: "tags", schema: { type: "object", properties: { tags: { type: "array", items: { type: "string" } } }, required: ["tags"] } },
      },
      messages: [{ role: "user", content: "Tag this" }],
    });
    expect(Array.isArray(JSON.parse(open.choices[0]!.message.content!).tags)).toBe(true);
    expect(open.choices[0]!.message.tool_calls ?? []).toEqual([]);
    const obj = await client.chat.completions.create({
      model: MODEL,
      response_format: { type: "json_object" },
      messages: [{ role: "user", content: "Give me JSON" }],
    });
    expect(() => JSON.parse(obj.choices[0]!.message.content!)).not.toThrow();
  });

  it("turns cache_control into cache points and reports cached tokens", async () => {
    const local = await createTestKey("cache");
    const c = openaiClient(local.key);
    const long = `Policy text. ${"lorem ipsum ".repeat(400)}${Math.random()}`;
    const ask = () =>
      c.chat.completions.create({
        model: MODEL,
        messages: [
          { role: "system", content: [{ type: "text", text: long, cache_control: { type: "ephemeral" } } as never] },
          { role: "user", content: "Question?" },
        ],
      });
    const first = await ask();
    const second = await ask();
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
    expect(second.usage!.prompt_tokens).toBe(first.usage!.prompt_tokens);
    const rows = await usageFor(local.id, 2);
    expect(rows.some((r) => r.cacheWriteTokens > 0)).toBe(true);
    expect(rows.some((r) => r.cacheReadTokens > 0)).toBe(true);
    await local.revoke();
  });

  it("uses Bedrock's native effort setting where the model has one", async () => {
    const res = await client.chat.completions.create({
      model: "claude-opus-4-5",
      reasoning_effort: "high",
      messages: [{ role: "user", content: "Plan carefully" }],
    });
    expect(res.choices[0]!.finish_reason).toBe("stop");
    const sent = (await simRequests()).filter((r) => r.modelId?.includes("opus-4-5")).at(-1);
    expect(sent?.body?.outputConfig?.effort).toBe("high");
    expect(sent?.body?.additionalModelRequestFields?.thinking).toBeUndefined();
  });

  it("refuses logprobs and temperature above Bedrock's range, naming the field", async () => {
    const lp = await client.chat.completions.create({ model: MODEL, logprobs: true, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(lp.param).toBe("logprobs");
    const t = await client.chat.completions.create({ model: MODEL, temperature: 1.5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(t).toBeInstanceOf(OpenAI.BadRequestError);
    expect(t.param).toBe("temperature");
  });

  it("answers legacy functions with function_call, and runs the legacy round trip", async () => {
    const functions = [weatherTool.function];
    const messages: Msg[] = [{ role: "user", content: "Weather in Lima? Use get_weather." }];
    const plain = await client.chat.completions.create({ model: MODEL, functions, function_call: "auto", messages });
    const choice = plain.choices[0]!;
    expect(choice.finish_reason).toBe("function_call");
    expect(choice.message.tool_calls ?? undefined).toBeUndefined();
    expect(choice.message.function_call!.name).toBe("get_weather");
    expect(JSON.parse(choice.message.function_call!.arguments)).toHaveProperty("city");

    // Streamed: `{name, arguments: ""}` first, then argument fragments, no tool_calls deltas.
    let name = "";
    let args = "";
    let finish: string | null = null;
    let toolCallDeltas = 0;
    for await (const chunk of await client.chat.completions.create({ model: MODEL, stream: true, functions, messages })) {
      const c = chunk.choices[0];
      if (!c) continue;
      if (c.delta.function_call?.name) {
        expect(name).toBe("");
        expect(c.delta.function_call.arguments).toBe("");
        name = c.delta.function_call.name;
      }
      args += c.delta.function_call?.arguments ?? "";
      toolCallDeltas += c.delta.tool_calls?.length ?? 0;
      finish = c.finish_reason ?? finish;
    }
    expect({ name, args, finish, toolCallDeltas }).toEqual({
      name: "get_weather",
      args: choice.message.function_call!.arguments,
      finish: "function_call",
      toolCallDeltas: 0,
    });

    messages.push(
      { role: "assistant", content: null, function_call: choice.message.function_call! },
      { role: "function", name: "get_weather", content: '{"temperature_c": 19}' },
    );
    const second = await client.chat.completions.create({ model: MODEL, functions, messages });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    // The simulator quotes each result with its toolUseId: the id minted for the call matched the result's.
    expect(second.choices[0]!.message.content).toContain('call_fn_1 => {"temperature_c": 19}');
  });

  it("maps guardrail and context-window stop reasons", async () => {
    const g = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[sim:stop=guardrail_intervened]" }] });
    expect(g.choices[0]!.finish_reason).toBe("content_filter");
    const w = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[sim:stop=model_context_window_exceeded]" }] });
    expect(w.choices[0]!.finish_reason).toBe("length");
  });
});
