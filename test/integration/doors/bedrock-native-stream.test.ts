/**
 * The Bedrock-native door's streams (ConverseStream, InvokeModelWithResponseStream) and CountTokens, in-process on
 * Postgres and PGlite with the simulator as Bedrock and the official AWS SDK as the client: the bytes the client
 * gets are the bytes Bedrock sent, usage comes from the stream's last event, and every way a stream can end
 * (done, Bedrock's exception, a cut, the client leaving) gives the SDK its usual exception and one usage row.
 */
import {
  ConverseStreamCommand,
  CountTokensCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { staticCatalogue } from "../../../src/models/catalogue";
import { costMicros } from "../../../src/usage/cost";
import { testBackends, type TestDb } from "../../support/db";
import { startDoor, type DoorHarness } from "./bedrock-native-harness";

const NOVA_LITE = "us.amazon.nova-lite-v1:0";
const HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const catalogue = staticCatalogue();
const priceOf = (alias: string) => catalogue.resolve(alias)!.targets[0]!.pricing!;
const user = (text: string) => ({ role: "user" as const, content: [{ text }] });
const utf8 = new TextDecoder();
const anthropicBody = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 200, messages: [{ role: "user", content: text }], ...extra });

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
afterAll(async () => sim.close());

/** Bytes of every Bedrock response body the gateway read, by request path (to compare with what the client got). */
function recordingFetch(seen: Uint8Array[][]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body || !res.headers.get("content-type")?.includes("eventstream")) return res;
    const chunks: Uint8Array[] = [];
    seen.push(chunks);
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        chunks.push(chunk.slice());
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(tap), { status: res.status, headers: res.headers });
  };
}

const join = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

describe.each(testBackends)("Bedrock-native streams on $name", ({ open }) => {
  let t: TestDb;
  let door: DoorHarness;
  const upstreamBodies: Uint8Array[][] = [];
  beforeAll(async () => {
    t = await open();
    door = await startDoor(t.db, sim.url, { STREAM_IDLE_TIMEOUT_MS: "2000" }, recordingFetch(upstreamBodies));
  });
  afterAll(async () => {
    await door?.close();
    await t?.close();
  });

  it("relays ConverseStream as Bedrock's own bytes and records usage from the final metadata event", async () => {
    const k = await door.newKey();
    const res = await door.client(k.key).send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user("Stream this please")] }));
    let text = "";
    let metadata: { usage?: { inputTokens?: number; outputTokens?: number } } | undefined;
    let stop: string | undefined;
    for await (const e of res.stream!) {
      if (e.contentBlockDelta?.delta?.text) text += e.contentBlockDelta.delta.text;
      if (e.messageStop) stop = e.messageStop.stopReason;
      if (e.metadata) metadata = e.metadata;
    }
    expect(text).toContain("Stream this please");
    expect(stop).toBe("end_turn");
    expect(metadata?.usage?.outputTokens).toBeGreaterThan(0);
    expect(sim.requests().at(-1)).toMatchObject({ modelId: NOVA_LITE, operation: "ConverseStream" });

    const rows = await door.rows(k.id);
    expect(rows).toHaveLength(1);
    const u = { inputTokens: metadata!.usage!.inputTokens!, outputTokens: metadata!.usage!.outputTokens!, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(rows[0]).toMatchObject({ endpoint: "bedrock.converse-stream", stream: true, status: "ok", ...u, estimated: false, stopReason: "end_turn" });
    expect(rows[0]!.ttftMs).not.toBeNull();
    expect(Number(rows[0]!.costMicros)).toBe(costMicros(u, priceOf("nova-lite")));
  });

  it("sends the client exactly the bytes Bedrock sent, frame for frame", async () => {
    const k = await door.newKey();
    const before = upstreamBodies.length;
    const res = await fetch(`${door.url}/bedrock/model/nova-lite/converse-stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [user("[sim:words=40] [sim:chunk-bytes=7]")] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    const got = new Uint8Array(await res.arrayBuffer());
    expect(upstreamBodies.length).toBe(before + 1);
    const sent = join(upstreamBodies.at(-1)!);
    expect(got.length).toBeGreaterThan(100);
    expect(Buffer.from(got).equals(Buffer.from(sent))).toBe(true);
  });

  it("relays Bedrock's exception frame mid-stream as it is; the SDK raises ThrottlingException and the row says error", async () => {
    const k = await door.newKey();
    const before = upstreamBodies.length;
    const res = await door
      .client(k.key)
      .send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user("[sim:words=30] [sim:stream-error-after=2:throttlingException]")] }));
    let deltas = 0;
    const err = await (async () => {
      for await (const e of res.stream!) if (e.contentBlockDelta) deltas++;
    })().catch((e) => e);
    expect(deltas).toBe(2);
    expect(err).toBeInstanceOf(ThrottlingException);
    const raw = await fetch(`${door.url}/bedrock/model/nova-lite/converse-stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [user("[sim:words=30] [sim:stream-error-after=2:throttlingException]")] }),
    });
    const got = new Uint8Array(await raw.arrayBuffer());
    expect(Buffer.from(got).equals(Buffer.from(join(upstreamBodies.at(-1)!)))).toBe(true);
    expect(upstreamBodies.length).toBe(before + 2);
    const rows = await door.rows(k.id);
    expect(rows.map((r) => [r.status, r.httpStatus, r.errorCode])).toEqual([
      ["error", 429, "rate_limit_exceeded"],
      ["error", 429, "rate_limit_exceeded"],
    ]);
  });

  it("ends a stream Bedrock cut short with an exception frame of the gateway's, never a clean end", async () => {
    const k = await door.newKey();
    const res = await door.client(k.key).send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user("[sim:words=30] [sim:truncate-after=3]")] }));
    const err = await (async () => {
      for await (const _ of res.stream!);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(InternalServerException);
    expect(err.message).toMatch(/ended the stream early/);
    const rows = await door.rows(k.id);
    expect(rows[0]).toMatchObject({ status: "error", errorCode: "upstream_stream_truncated", estimated: true });
    expect(rows[0]!.inputTokens).toBeGreaterThan(0);
  });

  it("answers an exception in the first frame's place as an HTTP error, after trying the other target", async () => {
    const k = await door.newKey();
    const err = await door
      .client(k.key)
      .send(
        new InvokeModelWithResponseStreamCommand({
          modelId: "claude-haiku-4-5",
          contentType: "application/json",
          body: anthropicBody("hi [sim:stream-error-after=0:throttlingException]"),
        }),
      )
      .catch((e) => e);
    // Nothing had reached the client: the SDK sees a plain 429 ThrottlingException answer, not a stream.
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$metadata.httpStatusCode).toBe(429);
    const rows = await door.rows(k.id);
    expect(rows[0]).toMatchObject({ status: "error", httpStatus: 429 });
    expect(rows[0]!.attempts).toBeGreaterThan(1);
    const tried = new Set(
      sim
        .requests()
        .slice(-rows[0]!.attempts)
        .map((r) => r.modelId),
    );
    expect(tried).toEqual(new Set([HAIKU, "global.anthropic.claude-haiku-4-5-20251001-v1:0"]));
  });

  it("retries a failure before the first event, as nothing has reached the client yet", async () => {
    const k = await door.newKey();
    const nonce = Math.random().toString(36).slice(2);
    const res = await door
      .client(k.key)
      .send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user(`hi [sim:fail-first=1:ServiceUnavailableException:${nonce}]`)] }));
    for await (const _ of res.stream!);
    const rows = await door.rows(k.id);
    expect(rows[0]).toMatchObject({ status: "ok", attempts: 2 });
  });

  it("cancels Bedrock's stream when the client goes away, and records the row as aborted", async () => {
    const k = await door.newKey();
    const cancelledBefore = sim.stats().streamsCancelled;
    const controller = new AbortController();
    const res = await fetch(`${door.url}/bedrock/model/nova-lite/converse-stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [user("[sim:words=400] [sim:delay=20]")] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.closed.catch(() => null);
    const deadline = Date.now() + 5000;
    while (sim.stats().streamsCancelled === cancelledBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sim.stats().streamsCancelled).toBeGreaterThan(cancelledBefore);
    const rows = await door.rows(k.id);
    expect(rows[0]).toMatchObject({ status: "aborted", httpStatus: 499 });
  });

  it("relays InvokeModelWithResponseStream and takes usage from amazon-bedrock-invocationMetrics", async () => {
    const k = await door.newKey();
    const res = await door
      .client(k.key)
      .send(new InvokeModelWithResponseStreamCommand({ modelId: "claude-haiku-4-5", contentType: "application/json", body: anthropicBody("Hello gateway") }));
    const events: Record<string, unknown>[] = [];
    for await (const e of res.body!) if (e.chunk?.bytes) events.push(JSON.parse(utf8.decode(e.chunk.bytes)));
    const text = events.map((e) => (e.delta as { text?: string } | undefined)?.text ?? "").join("");
    expect(text).toContain("Hello gateway");
    const metrics = events.at(-1)!["amazon-bedrock-invocationMetrics"] as { inputTokenCount: number; outputTokenCount: number };
    expect(metrics.outputTokenCount).toBeGreaterThan(0);
    expect(sim.requests().at(-1)).toMatchObject({ modelId: HAIKU, operation: "InvokeModelWithResponseStream" });

    const rows = await door.rows(k.id);
    const u = { inputTokens: metrics.inputTokenCount, outputTokens: metrics.outputTokenCount, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(rows[0]).toMatchObject({
      endpoint: "bedrock.invoke-with-response-stream",
      stream: true,
      status: "ok",
      ...u,
      estimated: false,
      stopReason: "end_turn",
    });
    expect(Number(rows[0]!.costMicros)).toBe(costMicros(u, priceOf("claude-haiku-4-5")));
  });

  it("relays InvokeModel with an Anthropic body and records the token-count headers", async () => {
    const k = await door.newKey();
    const res = await door
      .client(k.key)
      .send(new InvokeModelCommand({ modelId: HAIKU, contentType: "application/json", body: anthropicBody("Hello gateway") }));
    const out = JSON.parse(utf8.decode(res.body)) as { content: { text: string }[]; usage: { input_tokens: number; output_tokens: number } };
    expect(out.content[0]!.text).toContain("Hello gateway");
    const rows = await door.rows(k.id);
    const u = { inputTokens: out.usage.input_tokens, outputTokens: out.usage.output_tokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(rows[0]).toMatchObject({ endpoint: "bedrock.invoke", model: HAIKU, bedrockModelId: HAIKU, ...u, estimated: false });
    expect(Number(rows[0]!.costMicros)).toBe(costMicros(u, priceOf("claude-haiku-4-5")));
  });

  it("answers CountTokens on the model's foundation id, with a usage row that costs nothing", async () => {
    const k = await door.newKey();
    const body = new TextEncoder().encode(anthropicBody("count these words please"));
    const out = await door.client(k.key).send(new CountTokensCommand({ modelId: "claude-haiku-4-5", input: { invokeModel: { body } } }));
    expect(out.inputTokens).toBeGreaterThan(0);
    expect(sim.requests().at(-1)).toMatchObject({ modelId: "anthropic.claude-haiku-4-5-20251001-v1:0", operation: "CountTokens" });
    const rows = await door.rows(k.id);
    expect(rows[0]).toMatchObject({ endpoint: "bedrock.count-tokens", status: "ok", inputTokens: 0, outputTokens: 0 });
    expect(Number(rows[0]!.costMicros)).toBe(0);
  });
});
