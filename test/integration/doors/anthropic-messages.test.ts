/**
 * The Anthropic Messages door in-process, driven by the official @anthropic-ai/sdk (its fetch pointed at the app),
 * on real Postgres with the simulator as Bedrock: Claude over InvokeModel / InvokeModelWithResponseStream, other
 * models over Converse, count_tokens, Anthropic's errors, and each request's usage row.
 */
import Anthropic, { type APIError } from "@anthropic-ai/sdk";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import { PNG_1PX } from "../../fixtures/media";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "../faults/app-harness";

let sim: Simulator;
let t: TestDb;
let h: Harness;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url });
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

function client(key: string, headers: Record<string, string> = {}) {
  return new Anthropic({
    apiKey: key,
    baseURL: "http://gateway.test",
    maxRetries: 0,
    defaultHeaders: headers,
    fetch: async (url: string | URL | Request, init?: RequestInit) => h.app.fetch(new Request(url, init)),
  });
}

async function rowsOf(keyId: string) {
  await h.settle();
  return t.db.select().from(usageEvents).where(eq(usageEvents.keyId, keyId));
}

const lastSimBody = () => sim.requests().at(-1)! as { operation: string; modelId: string | null; body: any };

const WEATHER = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

describe("POST /v1/messages, Claude over InvokeModel", () => {
  it("answers messages.create in Anthropic's shape, sends Bedrock's Claude body and records one priced row", async () => {
    const k = await h.newKey("anth");
    const { data, response } = await client(k.key)
      .messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 256,
        system: "Be brief.",
        messages: [{ role: "user", content: "Hello gateway" }],
        metadata: { user_id: "u-1" },
      })
      .withResponse();
    expect(data).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-4-5", stop_reason: "end_turn", stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([{ type: "text", text: "You said: Hello gateway" }]);
    expect(data.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const sent = lastSimBody();
    expect(sent).toMatchObject({ operation: "InvokeModel", modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" });
    expect(sent.body).toMatchObject({ anthropic_version: "bedrock-2023-05-31", max_tokens: 256, system: "Be brief.", metadata: { user_id: "u-1" } });
    expect(sent.body).not.toHaveProperty("model");
    expect(sent.body).not.toHaveProperty("stream");
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestId: response.headers.get("x-request-id"),
      endpoint: "messages",
      model: "claude-sonnet-4-5",
      status: "ok",
      stream: false,
      inputTokens: data.usage.input_tokens,
      outputTokens: data.usage.output_tokens,
      stopReason: "end_turn",
      estimated: false,
    });
    // Micro-dollars at the served target's price per million tokens, rounded once.
    const price = rows[0]!.price as { input: number; output: number };
    expect(price.input).toBeGreaterThan(0);
    expect(rows[0]!.costMicros).toBe(Math.floor((data.usage.input_tokens * price.input + data.usage.output_tokens * price.output + 500_000) / 1_000_000));
  });

  it("runs a streamed multi-turn tool loop with messages.stream", async () => {
    const k = await h.newKey("anth-tools");
    const c = client(k.key);
    const first = await c.messages
      .stream({
        model: "claude-haiku-4-5",
        max_tokens: 512,
        tools: [WEATHER],
        messages: [{ role: "user", content: "What is the weather in Paris? use get_weather" }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((b) => b.type === "tool_use")!;
    expect(call).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "sample" } });
    const stream = c.messages.stream({
      model: "claude-haiku-4-5",
      max_tokens: 512,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "What is the weather in Paris? use get_weather" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: (call as { id: string }).id, content: "18C and sunny" }] },
      ],
    });
    const events: string[] = [];
    stream.on("streamEvent", (e) => events.push(e.type));
    const second = await stream.finalMessage();
    expect(second.content).toEqual([{ type: "text", text: `Tool results: ${(call as { id: string }).id} => 18C and sunny` }]);
    expect(events.slice(0, 2)).toEqual(["message_start", "content_block_start"]);
    expect(events.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    // On the wire, in Anthropic's order, with the ping the SDK does not surface and no Bedrock metrics.
    const raw = await h.post("/v1/messages", k.key, { model: "claude-haiku-4-5", max_tokens: 64, stream: true, messages: [{ role: "user", content: "hi" }] });
    const sse = await raw.text();
    const names = [...sse.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.filter((n, i) => n !== names[i - 1])).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(sse).not.toContain("amazon-bedrock-invocationMetrics");
    expect(lastSimBody().operation).toBe("InvokeModelWithResponseStream");
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatchObject({ endpoint: "messages", stream: true, status: "ok", estimated: false });
    expect(rows.find((r) => r.stopReason === "tool_use")).toBeDefined();
    // Two streams ended with end_turn: the tool loop's second turn, then the raw "hi"; rows come back in no set order.
    const [last] = rows.filter((r) => r.stopReason === "end_turn").sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    expect(last.outputTokens).toBe(second.usage.output_tokens);
    expect(last.ttftMs).not.toBeNull();
  });

  it("carries thinking blocks and their signatures to the next turn, and Bedrock rejects a forged one", async () => {
    const k = await h.newKey("anth-think");
    const c = client(k.key);
    const ask = { role: "user" as const, content: "Think, then call get_weather for Paris" };
    const thinking = { type: "enabled" as const, budget_tokens: 1024 };
    const first = await c.messages.create({ model: "claude-sonnet-4-5", max_tokens: 2048, thinking, tools: [WEATHER], messages: [ask] });
    expect(first.content.map((b) => b.type)).toEqual(["thinking", "tool_use"]);
    const call = first.content[1] as Anthropic.ToolUseBlock;
    const result = { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: call.id, content: "18C" }] };
    const second = await c.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 2048,
      thinking,
      tools: [WEATHER],
      messages: [ask, { role: "assistant", content: first.content }, result],
    });
    expect(second.content.at(-1)).toMatchObject({ type: "text" });
    expect(lastSimBody().body.messages[1].content[0]).toEqual(first.content[0]);
    const forged = [{ ...(first.content[0] as Anthropic.ThinkingBlock), signature: "forged" }, call];
    const err = await c.messages
      .create({ model: "claude-sonnet-4-5", max_tokens: 2048, thinking, tools: [WEATHER], messages: [ask, { role: "assistant", content: forged }, result] })
      .catch((e: unknown) => e as APIError);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.type).toBe("invalid_request_error");
  });

  it("takes a base64 image", async () => {
    const k = await h.newKey("anth-image");
    const data = PNG_1PX.slice(PNG_1PX.indexOf(",") + 1);
    const msg = await client(k.key).messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data } },
            { type: "text", text: "What is this?" },
          ],
        },
      ],
    });
    expect((msg.content[0] as Anthropic.TextBlock).text).toMatch(/I received 1 image: png \(\d+ bytes\)/);
  });

  it("passes on only the betas Bedrock supports for the model and drops fields Bedrock does not take, with a warning", async () => {
    const k = await h.newKey("anth-beta");
    const res = await client(k.key, { "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14" })
      .messages.create({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }], service_tier: "auto" } as never)
      .withResponse();
    expect(lastSimBody().body.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
    expect(lastSimBody().body).not.toHaveProperty("service_tier");
    expect(res.response.headers.get("x-gateway-warning")).toContain("service_tier");
  });

  it("falls back to the model's next target when Bedrock throttles before the first byte, plain and streamed", async () => {
    const k = await h.newKey("anth-fallback");
    const c = client(k.key);
    const nonce = Math.random().toString(36).slice(2, 8);
    const plain = await c.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: `[sim:fail-first=1:ThrottlingException:${nonce}a] hi` }],
    });
    expect(plain.content[0]).toMatchObject({ type: "text", text: "You said: hi" });
    const streamed = await c.messages
      .stream({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: `[sim:fail-first=1:ThrottlingException:${nonce}b] hi` }] })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: "text", text: "You said: hi" });
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatchObject({ status: "ok", attempts: 2, bedrockModelId: "global.anthropic.claude-sonnet-4-5-20250929-v1:0" });
  });

  it("ends a stream Bedrock cut short with an Anthropic error event and an error row", async () => {
    const k = await h.newKey("anth-cut");
    const err = await client(k.key)
      .messages.stream({ model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user", content: "[sim:truncate-after=3] [sim:words=40]" }] })
      .finalMessage()
      .then(
        () => null,
        (e: unknown) => e as APIError,
      );
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err?.message)).toContain("Bedrock ended the stream early");
    const rows = await rowsOf(k.id);
    expect(rows[0]).toMatchObject({ status: "error", httpStatus: 502, errorCode: "upstream_stream_truncated", estimated: true });
  });
});

describe("POST /v1/messages, other models over Converse", () => {
  it("answers plain and streamed requests for Nova in Anthropic's shapes", async () => {
    const k = await h.newKey("anth-nova");
    const c = client(k.key);
    const plain = await c.messages.create({
      model: "nova-lite",
      max_tokens: 128,
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: "Hello nova" }],
    });
    expect(plain).toMatchObject({ type: "message", model: "nova-lite", stop_reason: "end_turn", content: [{ type: "text", text: "You said: Hello nova" }] });
    expect(lastSimBody()).toMatchObject({ operation: "Converse", body: { system: [{ text: "Be brief." }], inferenceConfig: { maxTokens: 128 } } });
    const streamed = await c.messages
      .stream({ model: "nova-lite", max_tokens: 128, tools: [WEATHER], messages: [{ role: "user", content: "weather? get_weather" }] })
      .finalMessage();
    expect(streamed.stop_reason).toBe("tool_use");
    expect(streamed.content[0]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "sample" } });
    expect(streamed.usage.input_tokens).toBeGreaterThan(0);
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.endpoint === "messages" && r.status === "ok" && !r.estimated)).toBe(true);
  });
});

describe("POST /v1/messages/count_tokens", () => {
  it("counts with Bedrock's CountTokens for Claude (foundation model id), estimates for others, and writes no usage row", async () => {
    const k = await h.newKey("anth-count");
    const c = client(k.key);
    const counted = await c.messages.countTokens({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Count these words, please." }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const sent = lastSimBody();
    expect(sent).toMatchObject({ operation: "CountTokens", modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0" });
    const inner = JSON.parse(Buffer.from(sent.body.input.invokeModel.body, "base64").toString("utf8"));
    expect(inner).toMatchObject({ anthropic_version: "bedrock-2023-05-31", messages: [{ role: "user", content: "Count these words, please." }] });
    const before = sim.requests().length;
    const estimated = await c.messages.countTokens({ model: "nova-lite", messages: [{ role: "user", content: "Count these words, please." }] });
    expect(estimated.input_tokens).toBeGreaterThan(0);
    expect(sim.requests().length).toBe(before);
    expect(await rowsOf(k.id)).toHaveLength(0);
  });
});

describe("errors on /v1/messages speak Anthropic's shape", () => {
  it.each([
    ["a bad key", "bad", "claude-sonnet-4-5", "hi", Anthropic.AuthenticationError, 401, "authentication_error"],
    ["an unknown model", null, "claude-nonexistent-9", "hi", Anthropic.NotFoundError, 404, "not_found_error"],
    ["Bedrock throttling", null, "claude-sonnet-4-5", "[sim:error=ThrottlingException]", Anthropic.RateLimitError, 429, "rate_limit_error"],
    ["Bedrock unavailable", null, "claude-sonnet-4-5", "[sim:error=ServiceUnavailableException]", Anthropic.OverloadedError, 529, "overloaded_error"],
    ["a Bedrock validation error", null, "claude-sonnet-4-5", "[sim:error=ValidationException]", Anthropic.BadRequestError, 400, "invalid_request_error"],
  ])("%s", async (_label, badKey, model, content, cls, status, type) => {
    const k = await h.newKey("anth-err");
    const err = await client(badKey ?? k.key)
      .messages.create({ model, max_tokens: 64, messages: [{ role: "user", content }] })
      .then(
        () => null,
        (e: unknown) => e as APIError,
      );
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ status, type });
    expect(err?.error).toMatchObject({ type: "error", error: { type } });
  });

  it("answers a missing max_tokens with a 400 naming it", async () => {
    const k = await h.newKey("anth-400");
    const res = await h.post("/v1/messages", k.key, { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") } });
  });
});
