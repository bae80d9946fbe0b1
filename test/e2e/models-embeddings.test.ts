import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, e2e, openaiClient, usageFor, type TestKey } from "../support/e2e";

describe(`models and embeddings (${e2e().runtime})`, () => {
  let key: TestKey;
  let client: OpenAI;
  beforeAll(async () => {
    key = await createTestKey("models");
    client = openaiClient(key.key);
  });
  afterAll(async () => key.revoke());

  it("lists the catalogue and Bedrock's own models in OpenAI's list shape", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("claude-sonnet-4-5");
    expect(ids).toContain("titan-embed-text-v2");
    // LIST_BEDROCK_MODELS=true in the e2e setup: ListFoundationModels and ListInferenceProfiles are merged in.
    expect(ids.some((id) => id.startsWith("us.anthropic."))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of page.data) expect(m).toMatchObject({ object: "model", owned_by: expect.any(String), created: expect.any(Number) });
  });

  it("retrieves one model, including ids with colons, and 404s unknown ones", async () => {
    expect((await client.models.retrieve("claude-sonnet-4-5")).id).toBe("claude-sonnet-4-5");
    expect((await client.models.retrieve("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).id).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    const err = await client.models.retrieve("nope-model").catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe("model_not_found");
  });

  it("embeds a batch with Titan v2, honours dimensions and records usage", async () => {
    const res = await client.embeddings.create({ model: "titan-embed-text-v2", input: ["alpha", "beta gamma"], dimensions: 256 });
    expect(res.object).toBe("list");
    expect(res.data).toHaveLength(2);
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]!.embedding).toHaveLength(256);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    const rows = await usageFor(key.id, 1);
    const row = rows.find((r) => r.endpoint === "embeddings")!;
    expect(row).toMatchObject({ status: "ok", model: "titan-embed-text-v2", inputTokens: res.usage.prompt_tokens });
  });

  it("embeds with Cohere v3 and returns base64 when asked", async () => {
    const floats = await client.embeddings.create({ model: "cohere-embed-english-v3", input: "hello", encoding_format: "float" });
    expect(floats.data[0]!.embedding).toHaveLength(1024);
    // The SDK decodes base64 itself when it asked for it; fetch shows the wire format.
    const raw = await fetch(`${e2e().baseURL}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "cohere-embed-english-v3", input: "hello", encoding_format: "base64" }),
    });
    const json = (await raw.json()) as { data: { embedding: string }[] };
    expect(typeof json.data[0]!.embedding).toBe("string");
    const bytes = Uint8Array.from(atob(json.data[0]!.embedding), (ch) => ch.charCodeAt(0));
    const decoded = Array.from(new Float32Array(bytes.buffer));
    expect(decoded).toHaveLength(1024);
    expect(decoded[0]).toBeCloseTo(floats.data[0]!.embedding[0]!, 5);
  });

  it("refuses a chat model on /v1/embeddings", async () => {
    const err = await client.embeddings.create({ model: "claude-sonnet-4-5", input: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("model");
  });
});
