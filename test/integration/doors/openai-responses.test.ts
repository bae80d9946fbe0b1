/**
 * The Responses door in-process, driven by the official `openai` SDK (its fetch pointed at the app), on real
 * Postgres with the simulator as Bedrock: plain and streamed responses, the function-tool loop, stored responses
 * and previous_response_id, sealed reasoning across stateless turns, errors, and each request's usage row.
 */
import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
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

function client(key: string) {
  return new OpenAI({
    apiKey: key,
    baseURL: "http://gateway.test/v1",
    maxRetries: 0,
    fetch: async (url: string | URL | Request, init?: RequestInit) => h.app.fetch(new Request(url, init)),
  });
}

async function rowsOf(keyId: string) {
  await h.settle();
  return t.db.select().from(usageEvents).where(eq(usageEvents.keyId, keyId));
}

const lastSimBody = () => sim.requests().at(-1)! as { operation: string; modelId: string | null; body: any };

const MODEL = "claude-sonnet-4-5";
const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  strict: false,
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("POST /v1/responses", () => {
  it("answers responses.create and records one priced row", async () => {
    const k = await h.newKey("resp");
    const { data, response } = await client(k.key)
      .responses.create({ model: MODEL, instructions: "Be brief.", input: "Hello gateway", store: false })
      .withResponse();
    expect(data).toMatchObject({ object: "response", status: "completed", model: MODEL, store: false, incomplete_details: null });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe("You said: Hello gateway");
    expect(data.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    expect(data.output[0]!.id).toMatch(/^msg_/);
    expect(lastSimBody().body.system).toEqual([{ text: "Be brief." }]);
    const rows = await rowsOf(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestId: response.headers.get("x-request-id"),
      endpoint: "responses",
      status: "ok",
      inputTokens: data.usage!.input_tokens,
      outputTokens: data.usage!.output_tokens,
    });
    expect(rows[0]!.costMicros).toBeGreaterThan(0);
  });

  it("streams a function-tool loop with responses.stream", async () => {
    const k = await h.newKey("resp-stream");
    const c = client(k.key);
    const events: string[] = [];
    const first = await c.responses
      .stream({ model: MODEL, input: "What is the weather in Paris? get_weather", tools: [WEATHER] })
      .on("event", (e) => events.push(e.type))
      .finalResponse();
    expect(events.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(events.at(-1)).toBe("response.completed");
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"sample"}', status: "completed" });
    if (call.type !== "function_call") throw new Error("no call");
    const second = await c.responses
      .stream({
        model: MODEL,
        previous_response_id: first.id,
        tools: [WEATHER],
        input: [{ type: "function_call_output", call_id: call.call_id, output: "18C" }],
      })
      .finalResponse();
    expect(second.output_text).toBe(`Tool results: ${call.call_id} => 18C`);
    expect(second.previous_response_id).toBe(first.id);
  });
});

describe("item_reference input items", () => {
  it("resolves references to the caller's stored items (reasoning with its thinking), and 404s one it does not hold", async () => {
    const k = await h.newKey("resp-ref");
    const c = client(k.key);
    const ask: OpenAI.Responses.ResponseInputItem = { role: "user", content: "Think, then call get_weather for Lyon" };
    const common = { model: MODEL, reasoning: { effort: "low" as const }, tools: [WEATHER] };
    const first = await c.responses.create({ ...common, input: [ask] });
    const [reasoning, call] = first.output as [OpenAI.Responses.ResponseReasoningItem, OpenAI.Responses.ResponseFunctionToolCall];
    expect(reasoning.type).toBe("reasoning");
    expect(call.type).toBe("function_call");

    const { data: second, response } = await c.responses
      .create({
        ...common,
        store: false,
        input: [
          ask,
          { type: "item_reference", id: reasoning.id },
          { type: "item_reference", id: call.id! },
          { type: "function_call_output", call_id: call.call_id, output: "12C" },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-gateway-warning")).toBeNull();
    expect(second.output_text).toBe(`Tool results: ${call.call_id} => 12C`);
    const assistant = lastSimBody().body.messages.find((m: { role: string }) => m.role === "assistant");
    expect(assistant.content[0].reasoningContent.reasoningText.signature).toEqual(expect.any(String));
    expect(assistant.content[1].toolUse).toMatchObject({ toolUseId: call.call_id, name: "get_weather", input: { city: "sample" } });

    const calls = sim.requests().length;
    const refuse = async (key: string, id: string) => {
      const res = await h.app.request("/v1/responses", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, input: [ask, { type: "item_reference", id }] }),
      });
      return { status: res.status, body: (await res.json()) as { error: Record<string, unknown> } };
    };
    const missing = await refuse(k.key, "fc_never_stored");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: "invalid_request_error", param: "input[1]" });
    expect(missing.body.error.message).toContain("Item with id 'fc_never_stored' not found.");
    // Another key's items are not found either.
    const other = await h.newKey("resp-ref-other");
    expect((await refuse(other.key, call.id!)).body.error).toMatchObject({ param: "input[1]" });
    const bad = await refuse(k.key, "");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: "invalid_request_error", param: "input[1].id" });
    expect(sim.requests().length).toBe(calls);
  });
});

describe("GET /v1/responses/{id} query words", () => {
  it("checks stream, starting_after, include, order and limit, answering a bad one in OpenAI's shape", async () => {
    const k = await h.newKey("resp-query");
    const made = await client(k.key).responses.create({ model: MODEL, input: "Keep me" });
    const get = async (path: string) => {
      const res = await h.app.request(path, { headers: { authorization: `Bearer ${k.key}` } });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    for (const [query, param, message] of [
      [`${made.id}?stream=yes`, "stream", "stream must be true or false."],
      [`${made.id}?stream=true`, "stream", "Streaming a stored response again is not supported"],
      [`${made.id}?starting_after=-1`, "starting_after", "starting_after must be a sequence number"],
      [`${made.id}/input_items?limit=0`, "limit", "limit must be an integer between 1 and 100."],
      [`${made.id}/input_items?limit=101`, "limit", "limit must be an integer between 1 and 100."],
      [`${made.id}/input_items?order=sideways`, "order", "order must be 'asc' or 'desc'."],
      [`${made.id}/input_items?after=a&after=b`, "after", "after must be given once."],
    ]) {
      const r = await get(`/v1/responses/${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body, query).toEqual({ error: { type: "invalid_request_error", param, code: null, message: expect.stringContaining(message) } });
    }
    const ok = await get(`/v1/responses/${made.id}?stream=false&include[]=reasoning.encrypted_content&include=file_search_call.results`);
    expect(ok.status).toBe(200);
    expect(ok.body.id).toBe(made.id);
    const items = await get(`/v1/responses/${made.id}/input_items?limit=1&order=asc`);
    expect(items.body).toMatchObject({ object: "list", has_more: false, data: [{ type: "message", role: "user", content: "Keep me" }] });
  });
});
