import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../../../src/metrics";
import { silentLogger } from "../../../src/logger";
import { createOtelTracing, operationOf, spanOf } from "../../../src/runtimes/node/otel";

const base: RequestRecord = {
  requestId: "req_1",
  door: "chat.completions",
  method: "POST",
  traceparent: null,
  status: "ok",
  httpStatus: 200,
  errorType: null,
  errorCode: null,
  model: "claude-sonnet-4-5",
  servedModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  region: "us-east-1",
  team: "platform",
  stream: true,
  attempts: 1,
  startedAt: 0,
  durationMs: 10,
  ttftMs: 4,
  tokens: { input: 100, output: 20, cacheRead: 30, cacheWrite: 0 },
  costMicros: 630,
};

describe("spanOf (OpenTelemetry GenAI conventions)", () => {
  it("names a chat span `chat {model}` with the GenAI attributes", () => {
    const s = spanOf(base);
    expect(s.name).toBe("chat claude-sonnet-4-5");
    expect(s.kind).toBe("client");
    expect(s.attributes).toMatchObject({
      "gen_ai.system": "aws.bedrock",
      "gen_ai.provider.name": "aws.bedrock",
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "claude-sonnet-4-5",
      "gen_ai.response.model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      // Input tokens include the cached ones, as the conventions define them.
      "gen_ai.usage.input_tokens": 130,
      "gen_ai.usage.output_tokens": 20,
      "gen_ai.usage.cache_read.input_tokens": 30,
      "http.response.status_code": 200,
    });
    expect(s.attributes).not.toHaveProperty("error.type");
  });

  it.each<[string, Partial<RequestRecord>, { name: string; kind: string; attrs: Record<string, unknown> }]>([
    [
      "embeddings",
      { door: "embeddings", model: "titan-embed-text-v2" },
      { name: "embeddings titan-embed-text-v2", kind: "client", attrs: { "gen_ai.operation.name": "embeddings" } },
    ],
    [
      "an error before the model was resolved",
      { status: "error", httpStatus: 404, errorCode: "model_not_found", model: null, servedModel: null, tokens: null },
      { name: "chat", kind: "client", attrs: { "error.type": "model_not_found" } },
    ],
    [
      "a request without a door",
      { door: null, method: "GET", model: null, tokens: null },
      { name: "GET", kind: "server", attrs: { "http.request.method": "GET" } },
    ],
  ])("%s", (_name, over, expected) => {
    const s = spanOf({ ...base, ...over });
    expect(s.name).toBe(expected.name);
    expect(s.kind).toBe(expected.kind);
    expect(s.attributes).toMatchObject(expected.attrs);
  });

  it("a request without a door carries no GenAI attributes", () => {
    const s = spanOf({ ...base, door: null });
    expect(Object.keys(s.attributes).filter((k) => k.startsWith("gen_ai."))).toEqual([]);
  });

  it.each([
    ["chat.completions", "chat"],
    ["messages", "chat"],
    ["responses", "chat"],
    ["bedrock.converse", "chat"],
    ["embeddings", "embeddings"],
  ])("door %s is operation %s", (door, op) => {
    expect(operationOf(door)).toBe(op);
  });
});

describe("createOtelTracing", () => {
  it.each([
    ["unset", {}],
    ["empty", { OTEL_EXPORTER_OTLP_ENDPOINT: " " }],
  ])("is off when the endpoint is %s", async (_name, env) => {
    expect(await createOtelTracing(env, silentLogger)).toBeNull();
  });
});
