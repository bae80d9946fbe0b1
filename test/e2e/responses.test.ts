/** The OpenAI Responses door end to end: the official `openai` SDK against the gateway process on each runtime. */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, e2e, openaiClient, simRequests, usageFor, type TestKey } from "../support/e2e";

const MODEL = "claude-sonnet-4-5";
const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  strict: false,
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const failure = (e: unknown) => e as InstanceType<typeof OpenAI.APIError>;

describe(`responses (${e2e().runtime})`, () => {
  let key: TestKey;
  let client: OpenAI;
  beforeAll(async () => {
    key = await createTestKey("responses");
    client = openaiClient(key.key);
  });
  afterAll(async () => key.revoke());

  it("answers responses.create and records one priced usage row", async () => {
    const local = await createTestKey("responses-create");
    const { data, response } = await openaiClient(local.key)
      .responses.create({ model: MODEL, instructions: "Be brief.", input: "Hello gateway" })
      .withResponse();
    expect(data).toMatchObject({ object: "response", status: "completed", model: MODEL, incomplete_details: null, error: null });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe("You said: Hello gateway");
    expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens);
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestId: response.headers.get("x-request-id"),
      endpoint: "responses",
      model: MODEL,
      status: "ok",
      stream: false,
      inputTokens: data.usage!.input_tokens,
      outputTokens: data.usage!.output_tokens,
    });
    expect(rows[0]!.costMicros).toBeGreaterThan(0);
    await local.revoke();
  });

  it("streams OpenAI's event sequence with increasing sequence numbers", async () => {
    const local = await createTestKey("responses-stream");
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const final = await openaiClient(local.key)
      .responses.stream({ model: MODEL, input: "Stream this please [sim:words=12]" })
      .on("event", (e) => events.push(e))
      .finalResponse();
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThan(1);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    const seq = events.map((e) => e.sequence_number);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThan(seq[i - 1]!);
    const deltas = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    expect(deltas).toBe(final.output_text);
    expect(final.status).toBe("completed");
    const rows = await usageFor(local.id, 1);
    expect(rows[0]).toMatchObject({ endpoint: "responses", status: "ok", stream: true, outputTokens: final.usage!.output_tokens });
    expect(rows[0]!.costMicros).toBeGreaterThan(0);
    await local.revoke();
  });

  it("runs a function-tool loop with previous_response_id", async () => {
    const first = await client.responses.create({ model: MODEL, input: "What is the weather in Paris? get_weather", tools: [WEATHER] });
    const call = first.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"sample"}', status: "completed" });
    if (call?.type !== "function_call") throw new Error("no call");
    const second = await client.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      tools: [WEATHER],
      input: [{ type: "function_call_output", call_id: call.call_id, output: "18C" }],
    });
    expect(second.output_text).toBe(`Tool results: ${call.call_id} => 18C`);
    expect(second.previous_response_id).toBe(first.id);
  });

  it("carries sealed reasoning across stateless turns (store: false, the whole transcript resent)", async () => {
    const ask: OpenAI.Responses.ResponseInputItem = { role: "user", content: "Think, then call get_weather for Paris" };
    const common = {
      model: MODEL,
      store: false,
      include: ["reasoning.encrypted_content" as const],
      reasoning: { effort: "low" as const },
      tools: [WEATHER],
    };
    const first = await client.responses.create({ ...common, input: [ask] });
    expect(first.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.encrypted_content).toEqual(expect.any(String));
    expect(reasoning.encrypted_content).not.toContain("Considering");
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    const { data: second, response } = await client.responses
      .create({
        ...common,
        input: [ask, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output", call_id: call.call_id, output: "18C" }],
      })
      .withResponse();
    expect(response.headers.get("x-gateway-warning")).toBeNull();
    expect(second.output_text).toBe(`Tool results: ${call.call_id} => 18C`);
    const sent = (await simRequests()).at(-1)!;
    const assistant = sent.body.messages.find((m: { role: string }) => m.role === "assistant");
    expect(assistant.content[0].reasoningContent.reasoningText.text).toMatch(/^Considering the request/);
    expect(assistant.content[0].reasoningContent.reasoningText.signature).toEqual(expect.any(String));
    // A stateless response is not kept.
    const gone = await client.responses.retrieve(second.id).then(() => null, failure);
    expect(gone?.status).toBe(404);
  });

  it("streams stateless turns the way Codex CLI sends them, reasoning sealed in output_item.done", async () => {
    const ask: OpenAI.Responses.ResponseInputItem = { role: "user", content: "Think, then call get_weather for Nice" };
    const common = { model: MODEL, store: false, include: ["reasoning.encrypted_content" as const], reasoning: { effort: "low" as const }, tools: [WEATHER] };
    const done: OpenAI.Responses.ResponseOutputItem[] = [];
    const first = await client.responses
      .stream({ ...common, input: [ask] })
      .on("response.output_item.done", (e) => done.push(e.item))
      .finalResponse();
    expect(done.map((i) => i.type)).toEqual(["reasoning", "function_call"]);
    expect((done[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toEqual(expect.any(String));
    const call = done[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(first.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    const texts: string[] = [];
    const second = await client.responses
      .stream({
        ...common,
        input: [ask, ...(done as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output", call_id: call.call_id, output: "20C" }],
      })
      .on("response.output_text.delta", (e) => texts.push(e.delta))
      .finalResponse();
    expect(texts.join("")).toBe(`Tool results: ${call.call_id} => 20C`);
    expect(second.status).toBe("completed");
    const sent = (await simRequests()).at(-1)!;
    expect(sent.body.additionalModelRequestFields?.thinking).toMatchObject({ type: "enabled" });
  });

  it("looks up a stored reasoning item sent back by id, and returns sealed reasoning on GET only when included", async () => {
    const ask: OpenAI.Responses.ResponseInputItem = { role: "user", content: "Think, then call get_weather for Lyon" };
    const common = { model: MODEL, reasoning: { effort: "low" as const }, tools: [WEATHER] };
    const first = await client.responses.create({ ...common, input: [ask] });
    const [reasoning, call] = first.output as [OpenAI.Responses.ResponseReasoningItem, OpenAI.Responses.ResponseFunctionToolCall];
    expect(reasoning).toMatchObject({ type: "reasoning", id: expect.stringMatching(/^rs_/) });
    expect(reasoning.encrypted_content).toBeUndefined();

    const plain = await client.responses.retrieve(first.id);
    expect((plain.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toBeUndefined();
    const included = await client.responses.retrieve(first.id, { include: ["reasoning.encrypted_content"] });
    expect((included.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toEqual(expect.any(String));

    const { data: second, response } = await client.responses
      .create({
        ...common,
        input: [
          ask,
          { type: "reasoning", id: reasoning.id, summary: [] },
          { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: "function_call_output", call_id: call.call_id, output: "12C" },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-gateway-warning")).toBeNull();
    expect(second.output_text).toBe(`Tool results: ${call.call_id} => 12C`);
    const sent = (await simRequests()).at(-1)!;
    const assistant = sent.body.messages.find((m: { role: string }) => m.role === "assistant");
    expect(assistant.content[0].reasoningContent.reasoningText.signature).toEqual(expect.any(String));
  });

  it("keeps a stored response: GET, input_items, DELETE; another key gets 404", async () => {
    const made = await client.responses.create({ model: MODEL, instructions: "Be brief.", input: "Remember me" });
    const got = await client.responses.retrieve(made.id);
    expect(got).toMatchObject({ id: made.id, status: "completed", output_text: made.output_text });
    const items = await client.responses.inputItems.list(made.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user", content: "Remember me" });

    const other = await createTestKey("responses-other");
    const c2 = openaiClient(other.key);
    for (const attempt of [() => c2.responses.retrieve(made.id), () => c2.responses.inputItems.list(made.id), () => c2.responses.delete(made.id)]) {
      const err = await attempt().then(() => null, failure);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    }
    const cont = await c2.responses.create({ model: MODEL, previous_response_id: made.id, input: "again" }).then(() => null, failure);
    expect(cont).toBeInstanceOf(OpenAI.NotFoundError);
    await other.revoke();

    await client.responses.delete(made.id);
    const after = await client.responses.retrieve(made.id).then(() => null, failure);
    expect(after).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("refuses an unsupported tool type with a 400 naming it", async () => {
    const err = await client.responses.create({ model: MODEL, input: "search", tools: [{ type: "web_search" } as never] }).then(() => null, failure);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err?.message).toContain("web_search");
    expect(err?.param).toBe("tools[0].type");
  });

  it("ends a response cut by max_output_tokens as incomplete", async () => {
    const cut = await client.responses.create({ model: MODEL, input: "Talk [sim:words=200]", max_output_tokens: 16 });
    expect(cut.status).toBe("incomplete");
    expect(cut.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(cut.usage!.output_tokens).toBeLessThanOrEqual(16);
    const events: string[] = [];
    const stream = client.responses.stream({ model: MODEL, input: "Talk [sim:words=200]", max_output_tokens: 16 }).on("event", (e) => events.push(e.type));
    await stream.done();
    expect(events.at(-1)).toBe("response.incomplete");
  });
});
