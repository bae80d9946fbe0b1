/**
 * Property: whatever Bedrock streams (text with newlines, `data:` lines, `[DONE]`, U+2028, emoji, lone surrogates;
 * tool calls with arbitrary argument fragments; reasoning), the chunks the gateway's translator produces reach a
 * client intact through the gateway's SSE encoding, read by the `openai` SDK's own SSE parser
 * (`Stream.fromSSEResponse`). The whole route runs in-process, on PostgreSQL, with an injected Bedrock client that
 * streams the generated events; a stream that fails mid-way reaches the SDK as an APIError after its chunks.
 */
import fc from "fast-check";
import { APIError } from "openai";
import { Stream } from "openai/core/streaming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BedrockClient } from "../../src/bedrock/client";
import type { ConverseStreamEvent } from "../../src/bedrock/converse-types";
import { createApp } from "../../src/app";
import { GatewayError } from "../../src/errors";
import type { ChatCompletionChunk } from "../../src/translate/openai-types";
import { createStreamTranslator } from "../../src/translate/stream-translator";
import { createHarness, type Harness } from "../integration/faults/app-harness";
import { openTestPostgres, type TestDb } from "../support/db";
import { params, RUNS } from "./runs";

const NOW = 1_767_225_600_000;
/** Each case is a request through the whole app (auth, usage row): fewer of them by default than the pure properties. */
const SSE_RUNS = process.env.FUZZ_RUNS ? RUNS : 100;
const ID = "chatcmpl-roundtrip";

let t: TestDb;
let h: Harness;
let key: string;
let script: { events: ConverseStreamEvent[]; failWith?: GatewayError } = { events: [] };
let app: ReturnType<typeof createApp>;

/** Bedrock, as far as the route can tell: each stream plays the current script. */
const bedrock = {
  async converseStream() {
    const { events, failWith } = script;
    let i = 0;
    // Pull-based like the real client's stream: an error surfaces only once the events before it were read.
    return new ReadableStream<ConverseStreamEvent>(
      {
        pull(c) {
          if (i < events.length) c.enqueue(events[i++]!);
          else if (failWith) c.error(failWith);
          else c.close();
        },
      },
      { highWaterMark: 0 },
    );
  },
  async converse() {
    throw new Error("not used");
  },
} as unknown as BedrockClient;

beforeAll(async () => {
  t = await openTestPostgres();
  h = createHarness({ db: t.db });
  key = (await h.newKey("sse")).key;
  app = createApp({ ...h.deps, bedrock, clock: { now: () => NOW }, ids: { ...h.deps.ids, completionId: () => ID } });
}, 120_000);
afterAll(async () => {
  await h.settle();
  await t.close();
});

// ---- arbitraries: ConverseStream event sequences ----

const wireText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom("\n", "\r\n", "\n\n", "data: [DONE]\n\n", "data: {}", "event: error\n", ": comment\n", "\u2028\u2029", "\r", "") },
);
type Block =
  | { kind: "text"; parts: string[] }
  | { kind: "tool"; id: string; name: string; parts: string[] }
  | { kind: "reasoning"; parts: string[]; signature: string };
const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ kind: fc.constant("text" as const), parts: fc.array(wireText, { minLength: 1, maxLength: 5 }) }),
  fc.record({
    kind: fc.constant("tool" as const),
    id: fc.string({ minLength: 1, maxLength: 20 }),
    name: fc.constantFrom("get_weather", "search", "f"),
    parts: fc.array(fc.oneof(wireText, fc.constantFrom('{"city":', '"Paris"}', "{}")), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant("reasoning" as const), parts: fc.array(wireText, { minLength: 1, maxLength: 3 }), signature: fc.string({ maxLength: 12 }) }),
);
const stream = fc.record({
  blocks: fc.array(block, { maxLength: 4 }),
  stopReason: fc.constantFrom("end_turn", "tool_use", "max_tokens", "stop_sequence", "guardrail_intervened", "something_new"),
  usage: fc.option(fc.record({ inputTokens: fc.nat(100_000), outputTokens: fc.nat(100_000) }), { nil: undefined }),
  includeUsage: fc.boolean(),
});

function toEvents(s: { blocks: Block[]; stopReason: string; usage?: { inputTokens: number; outputTokens: number } }): ConverseStreamEvent[] {
  const out: ConverseStreamEvent[] = [{ type: "messageStart", body: { role: "assistant" } }];
  s.blocks.forEach((b, i) => {
    if (b.kind === "tool") out.push({ type: "contentBlockStart", body: { contentBlockIndex: i, start: { toolUse: { toolUseId: b.id, name: b.name } } } });
    for (const p of b.parts) {
      const delta = b.kind === "text" ? { text: p } : b.kind === "tool" ? { toolUse: { input: p } } : { reasoningContent: { text: p } };
      out.push({ type: "contentBlockDelta", body: { contentBlockIndex: i, delta } } as ConverseStreamEvent);
    }
    if (b.kind === "reasoning")
      out.push({ type: "contentBlockDelta", body: { contentBlockIndex: i, delta: { reasoningContent: { signature: b.signature } } } } as ConverseStreamEvent);
    out.push({ type: "contentBlockStop", body: { contentBlockIndex: i } });
  });
  out.push({ type: "messageStop", body: { stopReason: s.stopReason } } as ConverseStreamEvent);
  if (s.usage) {
    const usage = { ...s.usage, totalTokens: s.usage.inputTokens + s.usage.outputTokens };
    out.push({ type: "metadata", body: { usage, metrics: { latencyMs: 1 } } } as ConverseStreamEvent);
  }
  return out;
}

/** What the translator yields for the events: the chunks the client must receive. */
function expectedChunks(events: ConverseStreamEvent[], includeUsage: boolean, upTo = events.length): ChatCompletionChunk[] {
  const tr = createStreamTranslator({ id: ID, created: Math.floor(NOW / 1000), model: "nova-lite", includeUsage });
  const out = events.slice(0, upTo).flatMap((e) => tr.push(e));
  return upTo === events.length ? [...out, ...tr.finish()] : out;
}

async function sdkRead(includeUsage: boolean): Promise<{ chunks: unknown[]; error?: unknown }> {
  const res = await app.request("/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "nova-lite", stream: true, stream_options: { include_usage: includeUsage }, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  const chunks: unknown[] = [];
  try {
    for await (const chunk of Stream.fromSSEResponse<unknown>(res, new AbortController())) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks };
}

describe("SSE through the openai SDK's parser", () => {
  it("every chunk arrives as the translator made it, in order, and nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(stream, async (s) => {
        const events = toEvents(s);
        script = { events };
        const { chunks, error } = await sdkRead(s.includeUsage);
        expect(error).toBeUndefined();
        expect(chunks).toEqual(expectedChunks(events, s.includeUsage));
      }),
      params(SSE_RUNS),
    );
  });

  it("a stream that fails after some events: those chunks, then the SDK raises APIError with the gateway's message", async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.nat(), async (s, cut) => {
        const events = toEvents(s);
        const upTo = 1 + (cut % events.length);
        const failure = GatewayError.upstream(`Bedrock stream failed: ${s.stopReason}`, "model_stream_error");
        script = { events: events.slice(0, upTo), failWith: failure };
        const { chunks, error } = await sdkRead(s.includeUsage);
        expect(chunks).toEqual(expectedChunks(events, s.includeUsage, upTo));
        expect(error).toBeInstanceOf(APIError);
        expect((error as APIError).message).toContain(failure.message);
      }),
      params(SSE_RUNS),
    );
  });
});
