/**
 * The audit line on the app in-process (real Postgres, the simulator as Bedrock), read back from the logger as
 * JSON lines: exactly one per request whatever happened to it, written when a stream ends (so `ms` covers the
 * stream), with identity, models, tokens and cost, and never the key or the text of a prompt or completion.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness, type LogLine } from "../faults/app-harness";

const PROMPT = "periwinkle-aardvark-4417";

let sim: Simulator;
let tdb: TestDb;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  tdb = await openTestPostgres();
});
afterAll(async () => {
  await tdb?.close();
  await sim?.close();
});

const requestLines = (h: Harness, id: string | null) => h.logs.filter((l) => l.msg === "request" && l.requestId === id);
const oneLine = (h: Harness, res: Response): LogLine => {
  const lines = requestLines(h, res.headers.get("x-request-id"));
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

async function readStream(res: Response, started: number): Promise<{ headersAt: number; doneAt: number; text: string }> {
  const headersAt = Date.now() - started;
  const text = await res.text();
  return { headersAt, doneAt: Date.now() - started, text };
}

describe("audit line", () => {
  let h: Harness;
  let key: { key: string; id: string };
  beforeAll(async () => {
    h = createHarness({ db: tdb.db, bedrockUrl: sim.url });
    key = await h.newKey("audit");
  });

  it("writes exactly one line per request, whatever the request met, and never the key or the prompt", async () => {
    const chat = (body: Record<string, unknown>) => h.post("/v1/chat/completions", key.key, { model: "nova-lite", ...body });
    const user = (content: string) => [{ role: "user", content }];
    const responses = await Promise.all([
      chat({ messages: user(`plain ${PROMPT}`) }),
      chat({ stream: true, messages: user(`streamed ${PROMPT}`) }),
      chat({ stream: true, messages: user(`${PROMPT} [sim:stream-error-after=1:modelStreamErrorException]`) }),
      chat({ messages: user(`${PROMPT} [sim:error=ValidationException]`) }),
      chat({ n: 3, messages: user(PROMPT) }),
      chat({ model: "no-such-model", messages: user(PROMPT) }),
      h.post("/v1/embeddings", key.key, { model: "titan-embed-text-v2", input: PROMPT }),
      h.post("/v1/chat/completions", "bgw_live_wrongwrongwrongwrongwrongwrong12", { model: "nova-lite", messages: user(PROMPT) }),
      h.app.request("/v1/models", { headers: { authorization: `Bearer ${key.key}` } }),
      h.app.request("/healthz"),
      h.app.request("/readyz"),
      h.app.request("/nothing-here"),
    ]);
    await Promise.all(responses.map((r) => r.text()));
    await h.settle();
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    expect(new Set(ids).size).toBe(responses.length);
    for (const id of ids) expect(requestLines(h, id), `request ${id}`).toHaveLength(1);

    const text = JSON.stringify(h.logs);
    expect(text).not.toContain(key.key);
    expect(text).not.toContain("bgw_live_wrongwrong");
    expect(text).not.toContain(PROMPT);
    expect(text).not.toContain("You said");

    const [plain, , streamError, validation, refused, unknownModel, embeddings, badKey, models, health, , notFound] = responses.map((r) => oneLine(h, r));
    expect(plain).toMatchObject({
      door: "chat.completions",
      method: "POST",
      path: "/v1/chat/completions",
      auth: "key",
      keyId: key.id,
      keyPrefix: key.key.slice(0, 15),
      status: "ok",
      httpStatus: 200,
      model: "nova-lite",
      servedModel: "us.amazon.nova-lite-v1:0",
      region: "us-east-1",
      stream: false,
      costKnown: true,
    });
    expect(plain.user).toMatch(/@test\.example$/);
    expect(plain.inputTokens).toBeGreaterThan(0);
    expect(plain.outputTokens).toBeGreaterThan(0);
    expect(plain.costUsd).toMatch(/^\d+\.\d{6}$/);
    expect(Number.isInteger(plain.costMicros)).toBe(true);
    expect(Date.parse(String(plain.startedAt))).not.toBeNaN();
    expect(streamError).toMatchObject({ stream: true, status: "error", errorCode: expect.any(String) });
    expect(validation).toMatchObject({ status: "error", httpStatus: 400, errorType: "invalid_request_error" });
    expect(refused).toMatchObject({ status: "error", httpStatus: 400, door: "chat.completions" });
    expect(unknownModel).toMatchObject({ status: "error", httpStatus: 404, errorCode: "model_not_found", servedModel: null });
    expect(embeddings).toMatchObject({ door: "embeddings", status: "ok", model: "titan-embed-text-v2" });
    expect(badKey).toMatchObject({ door: null, httpStatus: 401, errorCode: "invalid_api_key" });
    expect(badKey).not.toHaveProperty("keyId");
    expect(badKey).not.toHaveProperty("inputTokens");
    expect(models).toMatchObject({ door: null, httpStatus: 200, keyId: key.id });
    expect(models).not.toHaveProperty("inputTokens");
    expect(health).toMatchObject({ path: "/healthz", httpStatus: 200, status: "ok" });
    expect(notFound).toMatchObject({ path: "/nothing-here", httpStatus: 404, status: "error" });
  });

  it("writes a stream's line when the stream ends: ms covers the whole stream, not the time to headers", async () => {
    const started = Date.now();
    const res = await h.post("/v1/chat/completions", key.key, {
      model: "nova-lite",
      stream: true,
      messages: [{ role: "user", content: "[sim:delay=120] [sim:words=8] count" }],
    });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-request-id");
    // The handler has returned and the headers are out, but the stream is still running: no line yet.
    expect(requestLines(h, id)).toHaveLength(0);
    const { headersAt, doneAt, text } = await readStream(res, started);
    expect(text).toContain("data: [DONE]");
    const line = oneLine(h, res);
    expect(doneAt - headersAt).toBeGreaterThan(600);
    expect(line.ms as number).toBeGreaterThanOrEqual(doneAt - headersAt);
    expect(line.ms as number).toBeLessThanOrEqual(doneAt + 5);
    expect(line).toMatchObject({ status: "ok", httpStatus: 200, stream: true, estimated: false });
    expect(line.ttftMs as number).toBeLessThan(line.ms as number);
  });

  it("writes one line for a stream the client abandons, when it abandons it", async () => {
    const res = await h.post("/v1/chat/completions", key.key, {
      model: "nova-lite",
      stream: true,
      messages: [{ role: "user", content: "[sim:delay=200] [sim:words=40] long" }],
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(requestLines(h, res.headers.get("x-request-id"))).toHaveLength(0);
    await reader.cancel();
    await h.settle();
    expect(oneLine(h, res)).toMatchObject({ status: "aborted", httpStatus: 499, errorCode: "client_closed_request", stream: true, estimated: true });
  });

  it("has no /metrics where the runtime gives no metrics (Workers)", async () => {
    expect((await h.app.request("/metrics")).status).toBe(404);
  });
});

describe.each([
  ["TRUST_PROXY=true", { TRUST_PROXY: "true" }, "198.51.100.23"],
  ["by default", {}, null],
])("client address %s", (_name, env, expected) => {
  it("is taken from x-forwarded-for only when the proxy is trusted", async () => {
    const h = createHarness({ db: tdb.db, bedrockUrl: sim.url, env });
    const res = await h.app.request("/healthz", { headers: { "x-forwarded-for": "198.51.100.23, 10.1.2.3", "user-agent": "probe/1.0" } });
    expect(oneLine(h, res)).toMatchObject({ clientIp: expected, userAgent: "probe/1.0" });
  });
});
