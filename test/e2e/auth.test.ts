import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { createTestKey, e2e, openaiClient, usageFor } from "../support/e2e";

const body = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] };

/** Every authenticated route rejects missing, unknown and revoked keys the same way. */
const ROUTES: { name: string; request: (key: string | null) => Promise<Response> }[] = [
  { name: "POST /v1/chat/completions", request: (k) => call("/chat/completions", k, body) },
  { name: "POST /v1/embeddings", request: (k) => call("/embeddings", k, { model: "titan-embed-text-v2", input: "x" }) },
  { name: "GET /v1/models", request: (k) => call("/models", k) },
  { name: "GET /v1/models/{id}", request: (k) => call("/models/claude-sonnet-4-5", k) },
];

function call(path: string, key: string | null, json?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${e2e().baseURL}${path}`, {
    method: json === undefined ? "GET" : "POST",
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(json === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

async function expectInvalidKey(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const json = (await res.json()) as { error: Record<string, unknown> };
  expect(json.error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key", param: null });
  expect(typeof json.error.message).toBe("string");
}

describe(`authentication (${e2e().runtime})`, () => {
  describe.each(ROUTES)("$name", ({ request }) => {
    it("rejects a missing key", async () => expectInvalidKey(await request(null)));
    it("rejects an unknown key", async () => expectInvalidKey(await request("bgw_live_doesnotexist0000000000000000000000000000")));
    it("rejects a revoked key", async () => {
      const k = await createTestKey("revoked");
      await k.revoke();
      await expectInvalidKey(await request(k.key));
    });
  });

  it("accepts the key in x-api-key as well", async () => {
    const k = await createTestKey("xapikey");
    const res = await call("/chat/completions", null, body, { "x-api-key": k.key });
    expect(res.status).toBe(200);
    await k.revoke();
  });

  it("raises the SDK's AuthenticationError and writes no usage row", async () => {
    const err = await openaiClient("bgw_live_wrongwrongwrongwrongwrongwrongwrong000")
      .chat.completions.create(body as never)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.code).toBe("invalid_api_key");
  });

  it("answers malformed JSON and a wrong content type with 400 and one usage row each", async () => {
    const k = await createTestKey("badjson");
    const bad = await fetch(`${e2e().baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: '{"model": "x", "messages": [',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.type).toBe("invalid_request_error");
    const wrongType = await fetch(`${e2e().baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "text/plain" },
      body: JSON.stringify(body),
    });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as any).error.param).toBe("Content-Type");
    const rows = await usageFor(k.id, 2);
    expect(rows.map((r) => r.httpStatus).sort()).toEqual([400, 400]);
    expect(rows.every((r) => r.status === "error")).toBe(true);
    await k.revoke();
  });
});
