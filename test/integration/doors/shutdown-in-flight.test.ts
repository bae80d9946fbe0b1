/**
 * A graceful stop's drain deadline reaching requests that have no stream to end yet, through the app in-process
 * with the simulator as Bedrock and the Node runtime's own upstream fetch: a plain request still waiting for
 * Bedrock's answer, and a stream still waiting for Bedrock's first event. Each has its Bedrock call aborted
 * (cancelled at the simulator), answers with its door's 503 `shutting_down` error, writes its row as
 * `shutting_down` (never the client's 499), and logs one `shutdown` end, never client_gone.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import { createShutdownSignal } from "../../../src/gateway/shutdown-signal";
import { createNodeFetch } from "../../../src/runtimes/node/http-fetch";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness } from "../faults/app-harness";

let sim: Simulator;
let t: TestDb;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

/** Bedrock answers only after 5 s: the stop comes first. */
const SLOW = "[sim:ttfb=5000] hello";
const user = (content: string) => [{ role: "user", content }];
const MESSAGE = "The gateway is shutting down; retry the request.";
const OPENAI = { error: { message: MESSAGE, type: "server_error", param: null, code: "shutting_down" } };
const ANTHROPIC = { type: "error", error: { type: "overloaded_error", message: MESSAGE } };

const rowOf = async (requestId: string | null) => (await t.db.select().from(usageEvents).where(eq(usageEvents.requestId, requestId!)))[0];

async function until(what: string, pred: () => boolean) {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const CASES = [
  { door: "chat completions", path: "/v1/chat/completions", body: { model: "nova-lite", messages: user(SLOW) }, status: 503, json: OPENAI },
  {
    door: "chat completions, a stream before its first event",
    path: "/v1/chat/completions",
    body: { model: "nova-lite", stream: true, messages: user(SLOW) },
    status: 503,
    json: OPENAI,
    stream: true,
  },
  { door: "embeddings", path: "/v1/embeddings", body: { model: "titan-embed-text-v2", input: SLOW }, status: 503, json: OPENAI },
  {
    door: "messages (Claude over InvokeModel)",
    path: "/v1/messages",
    body: { model: "claude-haiku-4-5", max_tokens: 200, messages: user(SLOW) },
    status: 529,
    json: ANTHROPIC,
  },
  {
    door: "messages (Converse), a stream before its first event",
    path: "/v1/messages",
    body: { model: "nova-lite", max_tokens: 200, stream: true, messages: user(SLOW) },
    status: 529,
    json: ANTHROPIC,
    stream: true,
  },
  { door: "responses", path: "/v1/responses", body: { model: "nova-lite", store: false, input: SLOW }, status: 503, json: OPENAI },
  {
    door: "Bedrock-native Converse",
    path: "/bedrock/model/nova-lite/converse",
    body: { messages: [{ role: "user", content: [{ text: SLOW }] }] },
    status: 503,
    json: { message: MESSAGE },
    errorType: /^ServiceUnavailableException/,
  },
  {
    door: "Bedrock-native ConverseStream, before its first event",
    path: "/bedrock/model/nova-lite/converse-stream",
    body: { messages: [{ role: "user", content: [{ text: SLOW }] }] },
    status: 503,
    json: { message: MESSAGE },
    errorType: /^ServiceUnavailableException/,
    stream: true,
  },
];

describe("requests waiting for Bedrock at the drain deadline", () => {
  it.each(CASES)("$door: the door's 503 shutting_down, Bedrock cancelled, a shutting_down row, one shutdown line", async (c) => {
    const shutdown = createShutdownSignal();
    const hs = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch(), shutdown });
    const { key } = await hs.newKey("shutdown-in-flight");
    const before = sim.stats();
    const started = Date.now();
    const pending = hs.post(c.path, key, c.body);
    // Registered while it waits, and Bedrock (the simulator) holds the request.
    await until("the request to reach Bedrock", () => shutdown.open === 1 && sim.stats().inFlight > before.inFlight);

    expect(shutdown.trigger()).toBe(1);
    const res = await pending;
    expect(Date.now() - started, "answered at the deadline, not after Bedrock's 5 s").toBeLessThan(4000);
    expect(res.status).toBe(c.status);
    expect(res.headers.get("retry-after")).toBe("1");
    if (c.errorType) expect(res.headers.get("x-amzn-errortype")).toMatch(c.errorType);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(c.json);
    await until("the simulator to see the request cancelled", () => sim.stats().requestsCancelled > before.requestsCancelled);
    await hs.settle();

    const requestId = res.headers.get("x-request-id");
    expect(await rowOf(requestId)).toMatchObject({ status: "error", httpStatus: c.status, errorCode: "shutting_down", stream: c.stream === true });
    const mine = hs.logs.filter((l) => l.requestId === requestId);
    expect(mine.filter((l) => l.msg === "request ended" || l.msg === "stream ended" || l.msg === "request failed")).toEqual([
      expect.objectContaining({ level: "warn", msg: "request ended", end: "shutdown", status: c.status, code: "shutting_down" }),
    ]);
    expect(mine.filter((l) => l.msg === "request")).toEqual([expect.objectContaining({ status: "error", httpStatus: c.status, errorCode: "shutting_down" })]);
    expect(JSON.stringify(mine)).not.toMatch(/client_gone|client_closed_request/);
    expect(shutdown.open).toBe(0);
  });

  it("a request that finished before the deadline is not touched; one that arrives after it never reaches Bedrock", async () => {
    const shutdown = createShutdownSignal();
    const hs = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch(), shutdown });
    const { key } = await hs.newKey("shutdown-in-flight");
    const done = await hs.post("/v1/chat/completions", key, { model: "nova-lite", messages: user("[sim:words=3]") });
    expect(done.status).toBe(200);
    expect(shutdown.open).toBe(0);
    expect(shutdown.trigger()).toBe(0);

    const requestsBefore = sim.stats().requests;
    const late = await hs.post("/v1/chat/completions", key, { model: "nova-lite", messages: user(SLOW) });
    expect(late.status).toBe(503);
    expect(await late.json()).toEqual(OPENAI);
    expect(sim.stats().requests).toBe(requestsBefore);
    await hs.settle();
    expect(await rowOf(done.headers.get("x-request-id"))).toMatchObject({ status: "ok", httpStatus: 200 });
    expect(await rowOf(late.headers.get("x-request-id"))).toMatchObject({ status: "error", httpStatus: 503, errorCode: "shutting_down" });
  });

  it("without a stop, a client that leaves a waiting request is still the client's (499, aborted)", async () => {
    const shutdown = createShutdownSignal();
    const hs = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch(), shutdown });
    const { key } = await hs.newKey("shutdown-in-flight");
    const before = sim.stats();
    const client = new AbortController();
    const pending = hs.app.request("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "nova-lite", messages: user(SLOW) }),
      signal: client.signal,
    });
    await until("the request to reach Bedrock", () => shutdown.open === 1 && sim.stats().inFlight > before.inFlight);
    client.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    await until("the simulator to see the request cancelled", () => sim.stats().requestsCancelled > before.requestsCancelled);
    await hs.settle();
    expect(await rowOf(res.headers.get("x-request-id"))).toMatchObject({ status: "aborted", httpStatus: 499, errorCode: "client_closed_request" });
    expect(shutdown.open).toBe(0);
  });
});
