/** Bodies that would break later steps are refused or repaired right after parsing: deep nesting, lone surrogates. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "./app-harness";

let sim: Simulator;
let t: TestDb;
let h: Harness;
let key: string;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url });
  key = (await h.newKey("json-body")).key;
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

const nested = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
const withToolDefault = (defaultJson: string) =>
  `{"model":"nova-lite","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f",` +
  `"parameters":{"type":"object","properties":{"a":{"type":"array","default":${defaultJson}}}}}}]}`;

describe("JSON nesting", () => {
  it.each(["/v1/chat/completions", "/v1/embeddings"])("answers 400 naming the field for a 10,000-deep array on %s", async (path) => {
    const body = path === "/v1/embeddings" ? `{"model":"titan-embed-text-v2","input":"x","extra":${nested(10_000)}}` : withToolDefault(nested(10_000));
    const res = await h.post(path, key, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { type: string; code: string; param: string; message: string } };
    expect(error).toMatchObject({ type: "invalid_request_error", code: "json_too_deep" });
    const expected = path === "/v1/embeddings" ? `extra${"[0]".repeat(63)}` : `tools[0].function.parameters.properties.a.default${"[0]".repeat(57)}`;
    expect(error.param).toBe(expected);
    expect(error.message).toContain("64 levels");
  });

  it("serves a tool schema nested as deep as the limit allows", async () => {
    // The body, tools, [0], function, parameters, properties, a: 7 levels; the default array takes the other 57.
    const res = await h.post("/v1/chat/completions", key, withToolDefault(nested(57)));
    expect(res.status).toBe(200);
    const res2 = await h.post("/v1/chat/completions", key, withToolDefault(nested(58)));
    expect(res2.status).toBe(400);
  });

  it("still answers invalid_json for a body that is not JSON", async () => {
    const res = await h.post("/v1/chat/completions", key, "{not json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: "invalid_json", param: null });
  });
});

describe("lone surrogates in message content", () => {
  it("reach Bedrock as U+FFFD, never as \\ud800 escapes", async () => {
    sim.reset();
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client's encoder would.
    const body = JSON.stringify({ model: "nova-lite", messages: [{ role: "user", content: "lone \ud800 high, lone \udc00 low, pair 😀" }] });
    expect(body).toContain("\\ud800");
    const res = await h.post("/v1/chat/completions", key, body);
    expect(res.status).toBe(200);
    const sent = sim.requests().find((r) => r.operation === "Converse")!;
    const text = JSON.stringify(sent.body);
    expect(text).toContain("lone \uFFFD high, lone \uFFFD low, pair 😀");
    expect(text).not.toMatch(/\\ud[89a-f]/i);
  });
});
