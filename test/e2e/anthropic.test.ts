/** The Anthropic Messages door end to end: the official @anthropic-ai/sdk against the gateway process on each runtime. */
import Anthropic, { type APIError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PNG_1PX } from "../fixtures/media";
import { createTestKey, e2e, simStats, usageFor, type TestKey } from "../support/e2e";

const MODEL = "claude-sonnet-4-5";
const WEATHER = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

const anthropic = (key: string) => new Anthropic({ apiKey: key, baseURL: e2e().gatewayURL, maxRetries: 0, timeout: 20_000 });
const failure = (e: unknown) => e as APIError;

describe(`anthropic messages (${e2e().runtime})`, () => {
  let key: TestKey;
  let client: Anthropic;
  beforeAll(async () => {
    key = await createTestKey("anthropic");
    client = anthropic(key.key);
  });
  afterAll(async () => key.revoke());

  it("answers messages.create and records one priced usage row", async () => {
    const local = await createTestKey("anthropic-create");
    const { data, response } = await anthropic(local.key)
      .messages.create({ model: MODEL, max_tokens: 200, messages: [{ role: "user", content: "Hello gateway" }] })
      .withResponse();
    expect(data).toMatchObject({ type: "message", role: "assistant", model: MODEL, stop_reason: "end_turn" });
    expect(data.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("Hello gateway") });
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestId: response.headers.get("x-request-id"),
      endpoint: "messages",
      model: MODEL,
      status: "ok",
      inputTokens: data.usage.input_tokens,
      outputTokens: data.usage.output_tokens,
    });
    expect(rows[0]!.costMicros).toBeGreaterThan(0);
    await local.revoke();
  });

  it("streams a multi-turn tool loop with messages.stream", async () => {
    const ask = { role: "user" as const, content: "What is the weather in Paris? get_weather" };
    const first = await client.messages.stream({ model: MODEL, max_tokens: 400, tools: [WEATHER], messages: [ask] }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(call.input).toEqual({ city: "sample" });
    const texts: string[] = [];
    const second = await client.messages
      .stream({
        model: MODEL,
        max_tokens: 400,
        tools: [WEATHER],
        messages: [
          ask,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "18C" }] },
        ],
      })
      .on("text", (t) => texts.push(t))
      .finalMessage();
    expect(texts.join("")).toBe(`Tool results: ${call.id} => 18C`);
    expect(second.stop_reason).toBe("end_turn");
  });

  it("carries thinking with its signature to the next turn", async () => {
    const ask = { role: "user" as const, content: "Think, then call get_weather for Paris" };
    const thinking = { type: "enabled" as const, budget_tokens: 1024 };
    const first = await client.messages.stream({ model: MODEL, max_tokens: 2048, thinking, tools: [WEATHER], messages: [ask] }).finalMessage();
    expect(first.content.map((b) => b.type)).toEqual(["thinking", "tool_use"]);
    expect((first.content[0] as Anthropic.ThinkingBlock).signature).toBeTruthy();
    const call = first.content[1] as Anthropic.ToolUseBlock;
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 2048,
      thinking,
      tools: [WEATHER],
      messages: [
        ask,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "18C" }] },
      ],
    });
    expect(second.content.at(-1)).toMatchObject({ type: "text", text: `Tool results: ${call.id} => 18C` });
  });

  it("takes an image", async () => {
    const data = PNG_1PX.slice(PNG_1PX.indexOf(",") + 1);
    const msg = await client.messages.create({
      model: MODEL,
      max_tokens: 200,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data } },
            { type: "text", text: "Describe" },
          ],
        },
      ],
    });
    expect((msg.content[0] as Anthropic.TextBlock).text).toContain("I received 1 image: png");
  });

  it("counts tokens without a usage row", async () => {
    const local = await createTestKey("anthropic-count");
    const counted = await anthropic(local.key).messages.countTokens({ model: MODEL, messages: [{ role: "user", content: "How many tokens is this?" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await usageFor(local.id, 1, 500)).toHaveLength(0);
    await local.revoke();
  });

  it("raises AuthenticationError for a bad key and NotFoundError for an unknown model", async () => {
    const bad = await anthropic("bgw_live_notakey")
      .messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .then(() => null, failure);
    expect(bad).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(bad?.type).toBe("authentication_error");
    const missing = await client.messages
      .create({ model: "claude-unknown-1", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .then(() => null, failure);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing?.type).toBe("not_found_error");
  });

  it("cancels the Bedrock stream when the client goes away and records it as aborted", async () => {
    const local = await createTestKey("anthropic-abort");
    const before = await simStats();
    const stream = anthropic(local.key).messages.stream({
      model: MODEL,
      max_tokens: 2000,
      messages: [{ role: "user", content: "[sim:delay=100] [sim:words=200]" }],
    });
    let deltas = 0;
    await new Promise<void>((resolve) => {
      stream.on("text", () => {
        if (++deltas === 3) {
          stream.abort();
          resolve();
        }
      });
      stream.on("error", () => resolve());
      stream.on("abort", () => resolve());
    });
    await stream.done().catch(() => {});
    const deadline = Date.now() + 8000;
    let after = await simStats();
    while (after.streamsCancelled <= before.streamsCancelled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await simStats();
    }
    expect(after.streamsCancelled).toBeGreaterThan(before.streamsCancelled);
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "messages", status: "aborted", httpStatus: 499, stream: true, estimated: true });
    await local.revoke();
  });
});
