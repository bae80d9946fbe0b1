/**
 * How a relayed stream ends, through the app in-process with the simulator as Bedrock and the Node runtime's own
 * upstream fetch: each end is settled once, with one log line and one usage row that say what ended it, including
 * the gateway's own end of a stream still open at a graceful stop's drain deadline (each door's error event).
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import { relayStream } from "../../../src/gateway/relay-stream";
import { createShutdownSignal } from "../../../src/gateway/shutdown-signal";
import { createNodeFetch } from "../../../src/runtimes/node/http-fetch";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "../faults/app-harness";

let sim: Simulator;
let t: TestDb;
let h: Harness;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch() });
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

const streamEnds = (requestId: string | null) => h.logs.filter((l) => l.requestId === requestId && l.msg.startsWith("stream"));
const rowOf = async (requestId: string | null) => (await t.db.select().from(usageEvents).where(eq(usageEvents.requestId, requestId!)))[0];

async function openStream(content: string, signal?: AbortSignal) {
  const { key } = await h.newKey("relay");
  const res = await h.app.request("/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "nova-lite", stream: true, messages: [{ role: "user", content }] }),
    signal,
  });
  expect(res.status).toBe(200);
  return { res, requestId: res.headers.get("x-request-id") };
}

async function waitForStats(pred: (s: ReturnType<Simulator["stats"]>) => boolean) {
  const deadline = Date.now() + 5000;
  while (!pred(sim.stats()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe("relayed stream ends", () => {
  it("a client that aborts its request is logged and recorded as the client's, never as Bedrock's", async () => {
    const before = sim.stats().streamsCancelled;
    const controller = new AbortController();
    const { res, requestId } = await openStream("[sim:delay=30] [sim:words=300]", controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => {});
    await waitForStats((s) => s.streamsCancelled > before);
    await h.settle();
    expect(sim.stats().streamsCancelled).toBeGreaterThan(before);
    const lines = streamEnds(requestId);
    expect(lines).toEqual([expect.objectContaining({ level: "info", msg: "stream ended", end: "client_gone", status: 499, code: "client_closed_request" })]);
    expect(h.logs.filter((l) => l.requestId === requestId && (l.level === "warn" || l.level === "error"))).toEqual([]);
    expect(await rowOf(requestId)).toMatchObject({ status: "aborted", httpStatus: 499, errorCode: "client_closed_request", estimated: true });
  });

  it("a client that cancels the body is the client's too", async () => {
    const before = sim.stats().streamsCancelled;
    const { res, requestId } = await openStream("[sim:delay=30] [sim:words=300]");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await waitForStats((s) => s.streamsCancelled > before);
    await h.settle();
    expect(streamEnds(requestId)).toEqual([expect.objectContaining({ end: "client_gone", status: 499 })]);
    expect(await rowOf(requestId)).toMatchObject({ status: "aborted", httpStatus: 499 });
  });

  it.each([
    ["an upstream cut (clean end before messageStop)", "[sim:truncate-after=3] [sim:words=30]", "upstream_cut", 502, "upstream_stream_truncated"],
    ["an upstream exception", "[sim:stream-error-after=2:throttlingException] [sim:words=30]", "upstream_error", 429, "rate_limit_exceeded"],
    ["a finished stream", "[sim:words=10]", "done", 200, undefined],
  ])("%s is logged once as %s", async (_label, content, end, status, code) => {
    const { res, requestId } = await openStream(content);
    await res.text();
    await h.settle();
    expect(streamEnds(requestId)).toEqual([expect.objectContaining({ msg: "stream ended", end, status, ...(code ? { code } : {}) })]);
    const row = await rowOf(requestId);
    expect(row).toMatchObject({ httpStatus: status, status: end === "done" ? "ok" : "error", errorCode: code ?? null });
  });
});

describe("relayStream keep-alive", () => {
  it("sends the door's keep-alive text while the upstream is silent, without losing the pending event", async () => {
    const rows: unknown[] = [];
    const draft = {
      requestId: "req_keepalive",
      startedAt: Date.now(),
      ttftMs: null,
      deferred: false,
      settled: false,
      usage: null,
      estimated: false,
      stopReason: null,
      scope: { usageWriter: { write: (row: unknown) => rows.push(row) } },
    } as unknown as Parameters<typeof relayStream>[1]["draft"];
    let release: (() => void) | undefined;
    const events = new ReadableStream<string>({
      async pull(controller) {
        await new Promise<void>((r) => (release = r));
        controller.enqueue("late");
        controller.close();
      },
    });
    const body = relayStream(h.deps, {
      events,
      draft,
      signal: new AbortController().signal,
      door: {
        push: (e: string) => [e],
        finish: () => [],
        encode: (items) => items.map((i) => `data: ${i}\n\n`).join(""),
        errorEvent: () => "error\n\n",
        hasContent: () => true,
        keepAlive: { everyMs: 30, text: ": ping\n\n" },
        beforeSettle: (d) => void (d.usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }),
      },
    });
    const reader = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).getReader();
    expect((await reader.read()).value).toBe(": ping\n\n");
    expect((await reader.read()).value).toBe(": ping\n\n");
    release!();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
    expect(rest.replaceAll(": ping\n\n", "")).toBe("data: late\n\n");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "ok", httpStatus: 200 });
  });
});

describe("relayStream batching", () => {
  /**
   * A relay over a reader that has `decoded` events waiting (one network chunk), then, once `release` is called, one
   * more event `c` that was still on its way. Events named `r…` carry no content (like a role chunk).
   */
  function relayOf(decoded: string[], deps: Parameters<typeof relayStream>[0] = h.deps) {
    const draft = {
      requestId: "req_batch",
      startedAt: Date.now(),
      ttftMs: null,
      deferred: false,
      settled: false,
      usage: null,
      estimated: false,
      stopReason: null,
      scope: { usageWriter: { write: () => {} } },
    } as unknown as Parameters<typeof relayStream>[1]["draft"];
    const queue = [...decoded];
    let release: (() => void) | undefined;
    const later = new Promise<void>((r) => (release = r));
    let ended = false;
    const reader = {
      buffered: () => queue.length > 0,
      async read(): Promise<ReadableStreamReadResult<string>> {
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        if (ended) return { done: true, value: undefined };
        await later;
        ended = true;
        return { done: false, value: "c" };
      },
      cancel: async () => {},
    };
    const body = relayStream(deps, {
      events: { getReader: () => reader },
      draft,
      signal: new AbortController().signal,
      door: {
        push: (e: string) => [e],
        finish: () => [],
        encode: (items) => items.map((i) => `data: ${i}\n\n`).join(""),
        trailer: "data: [DONE]\n\n",
        errorEvent: () => "error\n\n",
        hasContent: (e: string) => !e.startsWith("r"),
        beforeSettle: (d) => void (d.usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }),
      },
    });
    const out = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).getReader();
    return { out, release: () => release!(), draft, queue };
  }

  it("sends the events already decoded as one body chunk, and never waits for more to fill one", async () => {
    const { out, release } = relayOf(["ra", "rb"]);
    expect((await out.read()).value).toBe("data: ra\n\ndata: rb\n\n");
    release();
    expect((await out.read()).value).toBe("data: c\n\n");
    expect((await out.read()).value).toBe("data: [DONE]\n\n");
    expect((await out.read()).done).toBe(true);
  });

  it("sends the first content at once, before the rest of its network chunk is read", async () => {
    const { out, release, draft, queue } = relayOf(["role", "a", "b", "d"]);
    expect((await out.read()).value).toBe("data: role\n\ndata: a\n\n");
    expect(draft.ttftMs).not.toBeNull();
    // The events after it were not read for that first chunk.
    expect(queue).toEqual(["b", "d"]);
    expect((await out.read()).value).toBe("data: b\n\ndata: d\n\n");
    release();
    expect((await out.read()).value).toBe("data: c\n\n");
  });

  it("after the first content, lets the runtime's event loop turn (to put it on the wire) before it reads on", async () => {
    let turns = 0;
    let turn: (() => void) | undefined;
    const nextTurn = () => {
      turns++;
      return new Promise<void>((r) => (turn = r));
    };
    const { out, release, queue } = relayOf(["role", "a", "b"], { ...h.deps, nextTurn });
    expect((await out.read()).value).toBe("data: role\n\ndata: a\n\n");
    const next = out.read();
    await new Promise((r) => setTimeout(r, 10));
    // Waiting for the turn: nothing more has been read.
    expect(turns).toBe(1);
    expect(queue).toEqual(["b"]);
    turn!();
    expect((await next).value).toBe("data: b\n\n");
    release();
    expect((await out.read()).value).toBe("data: c\n\n");
    expect((await out.read()).value).toBe("data: [DONE]\n\n");
    // Once per stream.
    expect(turns).toBe(1);
  });

  it("sends a backlog of decoded events in pieces of about 8 KiB, not as one chunk at its end", async () => {
    const events = Array.from({ length: 400 }, (_, i) => `${i}`.padStart(4, "0") + "x".repeat(90));
    const { out, release } = relayOf(events);
    release();
    const chunks: string[] = [];
    for (;;) {
      const r = await out.read();
      if (r.done) break;
      chunks.push(r.value);
    }
    const text = chunks.join("");
    expect(text).toBe(`${[...events, "c"].map((e) => `data: ${e}\n\n`).join("")}data: [DONE]\n\n`);
    // 400 events of 102 characters: the first content alone, then pieces of 81 events (the first past 8,192
    // characters), the 75 left when the chunk is used up, then `c` and the trailer.
    expect(chunks.map((c) => c.length)).toEqual([102, 8262, 8262, 8262, 8262, 7650, 9, 14]);
  });
});

describe("a stream still open when a graceful stop reaches its drain deadline", () => {
  const user = (content: string) => [{ role: "user", content }];
  const SLOW = "[sim:delay=40] [sim:words=500]";
  it.each([
    {
      door: "chat completions",
      path: "/v1/chat/completions",
      body: { model: "nova-lite", stream: true, messages: user(SLOW) },
      error: 'data: {"error":{"message":"The gateway is shutting down; retry the request.","type":"server_error","param":null,"code":"shutting_down"}}\n\n',
    },
    {
      door: "messages (Claude over InvokeModel)",
      path: "/v1/messages",
      body: { model: "claude-haiku-4-5", max_tokens: 2000, stream: true, messages: user(SLOW) },
      error: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"The gateway is shutting down; retry the request."}}\n\n',
    },
    {
      door: "messages (Converse)",
      path: "/v1/messages",
      body: { model: "nova-lite", max_tokens: 2000, stream: true, messages: user(SLOW) },
      error: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"The gateway is shutting down; retry the request."}}\n\n',
    },
    {
      door: "responses",
      path: "/v1/responses",
      body: { model: "nova-lite", stream: true, store: false, input: SLOW },
      error:
        /event: error\ndata: \{"type":"error","code":"shutting_down".*\n\nevent: response\.failed\ndata: \{"type":"response\.failed","response":\{.*"status":"failed".*"error":\{"code":"shutting_down"/s,
    },
    {
      door: "Bedrock-native ConverseStream",
      path: "/bedrock/model/nova-lite/converse-stream",
      body: { messages: [{ role: "user", content: [{ text: SLOW }] }] },
      error: /:exception-type.*serviceUnavailableException.*The gateway is shutting down; retry the request\./s,
    },
  ])("$door: ends with the door's error event, cancels Bedrock, one `shutdown` line, a 503 row", async ({ path, body, error }) => {
    const shutdown = createShutdownSignal();
    const hs = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch(), shutdown });
    const { key } = await hs.newKey("relay-shutdown");
    const cancelledBefore = sim.stats().streamsCancelled;
    const res = await hs.post(path, key, body);
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder("latin1");
    // A few events in, so the row has output tokens to count.
    let text = "";
    for (let i = 0; i < 6; i++) text += decoder.decode((await reader.read()).value);
    expect(shutdown.open).toBe(1);

    expect(shutdown.trigger()).toBe(1);
    let closed = false;
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        closed = true;
        break;
      }
      text += decoder.decode(r.value);
    }
    expect(closed).toBe(true);
    if (typeof error === "string") expect(text.endsWith(error), text.slice(-400)).toBe(true);
    else expect(text).toMatch(error);
    expect(text).not.toContain("[DONE]");
    expect(text).not.toContain("message_stop");
    expect(text).not.toContain("response.completed");
    await waitForStats((s) => s.streamsCancelled > cancelledBefore);
    expect(sim.stats().streamsCancelled).toBeGreaterThan(cancelledBefore);
    await hs.settle();

    const ends = hs.logs.filter((l) => l.requestId === requestId && l.msg.startsWith("stream"));
    expect(ends).toEqual([expect.objectContaining({ level: "warn", msg: "stream ended", end: "shutdown", status: 503, code: "shutting_down" })]);
    expect(hs.logs.filter((l) => l.requestId === requestId && l.level === "info" && l.msg === "request")).toEqual([
      expect.objectContaining({ status: "error", httpStatus: 503, errorCode: "shutting_down" }),
    ]);
    const row = await rowOf(requestId);
    expect(row).toMatchObject({ status: "error", httpStatus: 503, errorCode: "shutting_down", stream: true });
    expect(row!.outputTokens).toBeGreaterThan(0);
    expect(shutdown.open).toBe(0);
  });

  it("a stream that starts after the deadline is refused before Bedrock is called; a stream that finished earlier is not touched", async () => {
    const shutdown = createShutdownSignal();
    const hs = createHarness({ db: t.db, bedrockUrl: sim.url, fetch: createNodeFetch(), shutdown });
    const { key } = await hs.newKey("relay-shutdown");
    const done = await hs.post("/v1/chat/completions", key, { model: "nova-lite", stream: true, messages: user("[sim:words=5]") });
    expect(await done.text()).toContain("data: [DONE]");
    expect(shutdown.open).toBe(0);
    expect(shutdown.trigger()).toBe(0);
    const requestsBefore = sim.stats().requests;
    const late = await hs.post("/v1/chat/completions", key, { model: "nova-lite", stream: true, messages: user(SLOW) });
    // No stream yet, so the door's plain error with its status (gateway/in-flight.ts), and Bedrock never asked.
    expect(late.status).toBe(503);
    const text = await late.text();
    expect(text).toContain('"code":"shutting_down"');
    expect(text).not.toContain("[DONE]");
    expect(sim.stats().requests).toBe(requestsBefore);
    await hs.settle();
    const doneId = done.headers.get("x-request-id");
    const lateId = late.headers.get("x-request-id");
    expect(hs.logs.filter((l) => l.requestId === doneId && l.msg === "stream ended")).toEqual([expect.objectContaining({ end: "done" })]);
    expect(hs.logs.filter((l) => l.requestId === lateId && l.msg.endsWith(" ended"))).toEqual([
      expect.objectContaining({ msg: "request ended", end: "shutdown" }),
    ]);
    expect(await rowOf(doneId)).toMatchObject({ status: "ok", httpStatus: 200 });
    expect(await rowOf(lateId)).toMatchObject({ status: "error", httpStatus: 503, errorCode: "shutting_down" });
  });
});
