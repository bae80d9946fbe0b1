import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ConverseStreamEvent } from "../../../src/bedrock/converse-types";
import { toChatCompletion } from "../../../src/translate/converse-to-openai";
import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from "../../../src/translate/openai-types";
import { createStreamTranslator, type StreamMeta } from "../../../src/translate/stream-translator";
import { chunksFixture, errorOf, fixture, fixtureDir } from "./helpers";

const META = { id: "chatcmpl-s", created: 1_700_000_000, model: "client-model" };

function run(events: ConverseStreamEvent[], meta: Partial<StreamMeta> = {}) {
  const t = createStreamTranslator({ ...META, includeUsage: false, ...meta });
  const chunks = events.flatMap((e) => t.push(e));
  chunks.push(...t.finish());
  return { chunks, state: t.state };
}

/** Chunk as OpenAI sends it; `usage: null` only when include_usage was requested. */
const c = (delta: ChatCompletionChunkDelta, finish_reason: FinishReason | null = null, withUsage = false): ChatCompletionChunk => ({
  id: "chatcmpl-s",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "client-model",
  choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  ...(withUsage ? { usage: null } : {}),
});
const usageChunk = (prompt: number, completion: number, cached = 0): ChatCompletionChunk => ({
  id: "chatcmpl-s",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "client-model",
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } },
});
const ROLE = { role: "assistant" as const, content: "" };

describe("createStreamTranslator: exact chunks", () => {
  it.each([
    ["text-end-turn.chunks.jsonl", {}, [c(ROLE), c({ content: "Hello, " }), c({ content: "world!" }), c({}, "stop")]],
    [
      "text-end-turn.chunks.jsonl",
      { includeUsage: true },
      [c(ROLE, null, true), c({ content: "Hello, " }, null, true), c({ content: "world!" }, null, true), c({}, "stop", true), usageChunk(12, 4)],
    ],
    [
      "tool-use-text-and-two-calls.chunks.jsonl",
      {},
      [
        c(ROLE),
        c({ content: "Let me check." }),
        c({ tool_calls: [{ index: 0, id: "tooluse_weather1", type: "function", function: { name: "get_weather", arguments: "" } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Par' } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: 'is","unit":"c"}' } }] }),
        c({ tool_calls: [{ index: 1, id: "tooluse_time2", type: "function", function: { name: "get_time", arguments: "" } }] }),
        c({ tool_calls: [{ index: 1, function: { arguments: "{}" } }] }),
        c({}, "tool_calls"),
      ],
    ],
    [
      "reasoning-then-tool.chunks.jsonl",
      {},
      [
        c(ROLE),
        c({ reasoning_content: "I should " }),
        c({ reasoning_content: "look it up." }),
        c({ tool_calls: [{ index: 0, id: "tooluse_r1", type: "function", function: { name: "search", arguments: "" } }] }),
        c({ tool_calls: [{ index: 0, function: { arguments: '{"query":"bedrock"}' } }] }),
        c({}, "tool_calls"),
      ],
    ],
    [
      "json-tool-response.chunks.jsonl",
      { jsonToolName: "json_response" },
      [c(ROLE), c({ content: '{"name":"Ada",' }), c({ content: '"age":36}' }), c({}, "stop")],
    ],
    [
      "cache-read-write-usage.chunks.jsonl",
      { includeUsage: true },
      [c(ROLE, null, true), c({ content: "Cached." }, null, true), c({}, "stop", true), usageChunk(1892, 401, 100)],
    ],
    [
      "metadata-before-message-stop.chunks.jsonl",
      { includeUsage: true },
      [c(ROLE, null, true), c({ content: "ok" }, null, true), c({}, "stop", true), usageChunk(4, 1)],
    ],
    ["empty-content.chunks.jsonl", {}, [c(ROLE), c({}, "stop")]],
    ["max-tokens-length.chunks.jsonl", {}, [c(ROLE), c({ content: "Once upon a" }), c({}, "length")]],
    [
      "tool-use-text-and-two-calls.chunks.jsonl",
      { legacyFunctions: true },
      [
        c(ROLE),
        c({ content: "Let me check." }),
        c({ function_call: { name: "get_weather", arguments: "" } }),
        c({ function_call: { arguments: '{"city":"Par' } }),
        c({ function_call: { arguments: 'is","unit":"c"}' } }),
        c({}, "function_call"),
      ],
    ],
    [
      "reasoning-then-tool.chunks.jsonl",
      { legacyFunctions: true },
      [
        c(ROLE),
        c({ reasoning_content: "I should " }),
        c({ reasoning_content: "look it up." }),
        c({ function_call: { name: "search", arguments: "" } }),
        c({ function_call: { arguments: '{"query":"bedrock"}' } }),
        c({}, "function_call"),
      ],
    ],
    [
      "json-tool-response.chunks.jsonl",
      { jsonToolName: "json_response", legacyFunctions: true },
      [c(ROLE), c({ content: '{"name":"Ada",' }), c({ content: '"age":36}' }), c({}, "stop")],
    ],
    ["text-end-turn.chunks.jsonl", { legacyFunctions: true }, [c(ROLE), c({ content: "Hello, " }), c({ content: "world!" }), c({}, "stop")]],
  ])("%s %j", (name, meta, expected) => {
    expect(run(chunksFixture(name), meta).chunks).toStrictEqual(expected);
  });
});

describe("createStreamTranslator: state", () => {
  it("collects reasoning blocks, tool-call ids, stop reason and usage", () => {
    const { state } = run(chunksFixture("reasoning-then-tool.chunks.jsonl"));
    expect(state.reasoning).toEqual([{ reasoningText: { text: "I should look it up.", signature: "sig-abc" } }, { redactedContent: "cmVkYWN0ZWQ=" }]);
    expect(state.toolCallIds).toEqual(["tooluse_r1"]);
    expect(state.stopReason).toBe("tool_use");
    expect(state.usage).toEqual({ inputTokens: 100, outputTokens: 60, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it("the JSON tool is not a tool call", () => {
    expect(run(chunksFixture("json-tool-response.chunks.jsonl"), { jsonToolName: "json_response" }).state.toolCallIds).toEqual([]);
  });

  it("legacy functions: no tool-call ids (the client gets none to send back)", () => {
    expect(run(chunksFixture("reasoning-then-tool.chunks.jsonl"), { legacyFunctions: true }).state.toolCallIds).toEqual([]);
  });

  it("counts output characters for estimates of cut streams", () => {
    const t = createStreamTranslator({ ...META, includeUsage: false });
    for (const e of chunksFixture("truncated-no-message-stop.chunks.jsonl")) t.push(e);
    expect(t.state.outputChars).toBe("The answer is".length);
    expect(t.state.estimatedOutputTokens).toBe(4);
    expect(t.state.usage).toBeNull();
    expect(t.state.stopReason).toBeNull();
  });
});

describe("createStreamTranslator: failures and edge cases", () => {
  it("finish() without messageStop → 502 upstream_stream_truncated", () => {
    const t = createStreamTranslator({ ...META, includeUsage: true });
    for (const e of chunksFixture("truncated-no-message-stop.chunks.jsonl")) t.push(e);
    expect(errorOf(() => t.finish())).toMatchObject({ status: 502, code: "upstream_stream_truncated", message: "Bedrock ended the stream early" });
  });

  it("tool input for a block that never started → 502", () => {
    const t = createStreamTranslator({ ...META, includeUsage: false });
    t.push({ type: "messageStart", body: { role: "assistant" } });
    expect(errorOf(() => t.push({ type: "contentBlockDelta", body: { contentBlockIndex: 3, delta: { toolUse: { input: "{" } } } }))).toMatchObject({
      status: 502,
      code: "upstream_invalid_response",
    });
  });

  it("role chunk is emitted even if messageStart is missing; empty text deltas are skipped", () => {
    const { chunks } = run([
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { text: "" } } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { text: "x" } } },
      { type: "messageStop", body: { stopReason: "end_turn" } },
    ]);
    expect(chunks).toStrictEqual([c(ROLE), c({ content: "x" }), c({}, "stop")]);
  });

  it("an open tool block at messageStop still gets {} arguments", () => {
    const { chunks } = run([
      { type: "messageStart", body: { role: "assistant" } },
      { type: "contentBlockStart", body: { contentBlockIndex: 0, start: { toolUse: { toolUseId: "t", name: "f" } } } },
      { type: "messageStop", body: { stopReason: "tool_use" } },
    ]);
    expect(chunks.slice(2)).toStrictEqual([c({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }), c({}, "tool_calls")]);
  });

  it("legacy functions: a later call is dropped whole, an argument-less first call gets {}", () => {
    const { chunks, state } = run(
      [
        { type: "messageStart", body: { role: "assistant" } },
        { type: "contentBlockStart", body: { contentBlockIndex: 0, start: { toolUse: { toolUseId: "t1", name: "ping" } } } },
        { type: "contentBlockStart", body: { contentBlockIndex: 1, start: { toolUse: { toolUseId: "t2", name: "lookup" } } } },
        { type: "contentBlockDelta", body: { contentBlockIndex: 1, delta: { toolUse: { input: '{"q":"x"}' } } } },
        { type: "contentBlockStop", body: { contentBlockIndex: 1 } },
        { type: "messageStop", body: { stopReason: "tool_use" } },
      ],
      { legacyFunctions: true },
    );
    expect(chunks).toStrictEqual([
      c(ROLE),
      c({ function_call: { name: "ping", arguments: "" } }),
      c({ function_call: { arguments: "{}" } }),
      c({}, "function_call"),
    ]);
    expect(state.toolCallIds).toEqual([]);
    expect(state.outputChars).toBe('{"q":"x"}'.length);
  });

  it("no usage chunk without include_usage, even when metadata arrives", () => {
    const { chunks, state } = run(chunksFixture("text-end-turn.chunks.jsonl"));
    expect(chunks.every((ch) => ch.choices.length === 1 && !("usage" in ch))).toBe(true);
    expect(state.usage).not.toBeNull();
  });

  it("messageStop without metadata: finish succeeds, usage stays null for the caller to estimate", () => {
    const { chunks, state } = run(
      [
        { type: "messageStart", body: { role: "assistant" } },
        { type: "messageStop", body: { stopReason: "end_turn" } },
      ],
      { includeUsage: true },
    );
    expect(chunks).toStrictEqual([c(ROLE, null, true), c({}, "stop", true)]);
    expect(state.usage).toBeNull();
  });
});

/**
 * Property: for every behaviour recorded both ways, the concatenated stream deltas (content, reasoning and each
 * tool call's arguments, or the legacy function_call) equal the non-stream result. Fixture fragments are compact
 * JSON, so arguments compare byte-for-byte with JSON.stringify(input).
 */
describe("stream and non-stream agree", () => {
  const pairs = readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".chunks.jsonl"))
    .map((f) => f.replace(/\.chunks\.jsonl$/, ""))
    .filter((base) => existsSync(`${fixtureDir}${base}.json`));

  it("has paired fixtures", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(9);
  });

  const cases = pairs.flatMap((base) => [undefined, "json_response"].flatMap((json) => [false, true].map((legacy) => [base, json, legacy] as const)));
  it.each(cases)("%s (jsonToolName %s, legacyFunctions %s)", (base, jsonToolName, legacyFunctions) => {
    const { chunks } = run(chunksFixture(`${base}.chunks.jsonl`), { jsonToolName, legacyFunctions, includeUsage: true });
    let content = "";
    let reasoning = "";
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let fn: { name?: string; arguments: string } | undefined;
    let finish: string | null = null;
    let usage: unknown = null;
    for (const ch of chunks) {
      if (ch.usage) usage = ch.usage;
      const choice = ch.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      reasoning += choice.delta.reasoning_content ?? "";
      for (const tc of choice.delta.tool_calls ?? []) {
        expect(tc.index).toBeLessThanOrEqual(calls.length);
        const acc = (calls[tc.index] ??= { arguments: "" });
        if (tc.id) acc.id = tc.id;
        if (tc.function?.name) acc.name = tc.function.name;
        acc.arguments += tc.function?.arguments ?? "";
      }
      if (choice.delta.function_call) {
        // The legacy accumulator: the name arrives once, in the first delta; arguments are concatenated.
        if (choice.delta.function_call.name) expect(fn).toBeUndefined();
        fn ??= { arguments: "" };
        if (choice.delta.function_call.name) fn.name = choice.delta.function_call.name;
        fn.arguments += choice.delta.function_call.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }

    const { completion, toolCallIds } = toChatCompletion(fixture(`${base}.json`), { ...META, jsonToolName, legacyFunctions });
    const message = completion.choices[0]!.message;
    expect(fn).toEqual(message.function_call);
    if (fn) expect(() => JSON.parse(fn!.arguments)).not.toThrow();
    expect(legacyFunctions && calls.length > 0).toBe(false);
    expect(content).toBe(message.content ?? "");
    expect(reasoning).toBe(message.reasoning_content ?? "");
    expect(calls).toEqual((message.tool_calls ?? []).map((t) => ({ id: t.id, name: t.function.name, arguments: t.function.arguments })));
    for (const call of calls) expect(() => JSON.parse(call.arguments)).not.toThrow();
    expect(finish).toBe(completion.choices[0]!.finish_reason);
    expect(usage).toEqual(completion.usage);
    const t = createStreamTranslator({ ...META, jsonToolName, legacyFunctions, includeUsage: false });
    for (const e of chunksFixture(`${base}.chunks.jsonl`)) t.push(e);
    expect(t.state.toolCallIds).toEqual(toolCallIds);
  });
});
