import { describe, expect, it } from "vitest";
import { toChatCompletion } from "../../../src/translate/converse-to-openai";
import type { ChatCompletionMessage, FinishReason } from "../../../src/translate/openai-types";
import { errorOf, fixture } from "./helpers";

const META = { id: "chatcmpl-test", created: 1_700_000_000, model: "client-model" };

const completion = (message: Partial<ChatCompletionMessage>, finish_reason: FinishReason, usage: [number, number, number?]) => ({
  id: "chatcmpl-test",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "client-model",
  choices: [{ index: 0, message: { role: "assistant", content: null, refusal: null, ...message }, logprobs: null, finish_reason }],
  usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: usage[0] + usage[1], prompt_tokens_details: { cached_tokens: usage[2] ?? 0 } },
});

describe("toChatCompletion", () => {
  it.each([
    ["text-end-turn.json", undefined, completion({ content: "Hello, world!" }, "stop", [12, 4]), [], [], "end_turn"],
    [
      "tool-use-text-and-two-calls.json",
      undefined,
      completion(
        {
          content: "Let me check.",
          tool_calls: [
            { id: "tooluse_weather1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } },
            { id: "tooluse_time2", type: "function", function: { name: "get_time", arguments: "{}" } },
          ],
        },
        "tool_calls",
        [50, 30],
      ),
      [],
      ["tooluse_weather1", "tooluse_time2"],
      "tool_use",
    ],
    [
      "tool-use-only-null-content.json",
      undefined,
      completion(
        { content: null, tool_calls: [{ id: "tooluse_a", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
        "tool_calls",
        [20, 10],
      ),
      [],
      ["tooluse_a"],
      "tool_use",
    ],
    [
      "reasoning-then-tool.json",
      undefined,
      completion(
        {
          content: null,
          reasoning_content: "I should look it up.",
          tool_calls: [{ id: "tooluse_r1", type: "function", function: { name: "search", arguments: '{"query":"bedrock"}' } }],
        },
        "tool_calls",
        [100, 60],
      ),
      [{ reasoningText: { text: "I should look it up.", signature: "sig-abc" } }, { redactedContent: "cmVkYWN0ZWQ=" }],
      ["tooluse_r1"],
      "tool_use",
    ],
    [
      "reasoning-then-text.json",
      undefined,
      completion({ content: "4", reasoning_content: "2+2 is 4." }, "stop", [30, 20]),
      [{ reasoningText: { text: "2+2 is 4.", signature: "sig-xyz" } }],
      [],
      "end_turn",
    ],
    ["json-tool-response.json", "json_response", completion({ content: '{"name":"Ada","age":36}' }, "stop", [40, 15]), [], [], "tool_use"],
    [
      "json-tool-response.json (without jsonToolName it is a tool call)",
      undefined,
      completion(
        { tool_calls: [{ id: "tooluse_j", type: "function", function: { name: "json_response", arguments: '{"name":"Ada","age":36}' } }] },
        "tool_calls",
        [40, 15],
      ),
      [],
      ["tooluse_j"],
      "tool_use",
    ],
    ["max-tokens-length.json", undefined, completion({ content: "Once upon a" }, "length", [8, 3]), [], [], "max_tokens"],
    ["cache-read-write-usage.json", undefined, completion({ content: "Cached." }, "stop", [1892, 401, 100]), [], [], "end_turn"],
    [
      "guardrail-intervened.json",
      undefined,
      completion({ content: "Sorry, I can't help with that." }, "content_filter", [10, 7]),
      [],
      [],
      "guardrail_intervened",
    ],
    [
      "multibyte-tool-args.json",
      undefined,
      completion(
        {
          content: "Grüße 👋 — שלום",
          tool_calls: [{ id: "tooluse_mb", type: "function", function: { name: "send", arguments: '{"text":"😀 naïve 𝄞","to":"Zoë"}' } }],
        },
        "tool_calls",
        [22, 18],
      ),
      [],
      ["tooluse_mb"],
      "tool_use",
    ],
    ["empty-content.json", undefined, completion({ content: "" }, "stop", [5, 0]), [], [], "end_turn"],
    ["unknown-stop-reason.json", undefined, completion({ content: "hi" }, "stop", [2, 1]), [], [], "brand_new_reason"],
  ])("%s", (name, jsonToolName, expected, reasoning, toolCallIds, stopReason) => {
    const out = toChatCompletion(fixture(name.split(" ")[0]!), { ...META, jsonToolName });
    expect(out.completion).toStrictEqual(expected);
    expect(out.reasoning).toEqual(reasoning);
    expect(out.toolCallIds).toEqual(toolCallIds);
    expect(out.stopReason).toBe(stopReason);
  });

  it("returns normalized usage for billing", () => {
    expect(toChatCompletion(fixture("cache-read-write-usage.json"), META).usage).toEqual({
      inputTokens: 3,
      outputTokens: 401,
      cacheReadTokens: 100,
      cacheWriteTokens: 1789,
    });
  });

  it("JSON tool plus a real tool call: content from the JSON tool, the real call kept", () => {
    const res = {
      output: {
        message: {
          role: "assistant" as const,
          content: [
            { text: "preamble" },
            { toolUse: { toolUseId: "t1", name: "json_response", input: { a: 1 } } },
            { toolUse: { toolUseId: "t2", name: "lookup", input: {} } },
          ],
        },
      },
      stopReason: "tool_use",
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    };
    const out = toChatCompletion(res, { ...META, jsonToolName: "json_response" });
    expect(out.completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: '{"a":1}',
        refusal: null,
        tool_calls: [{ id: "t2", type: "function", function: { name: "lookup", arguments: "{}" } }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    });
    expect(out.toolCallIds).toEqual(["t2"]);
  });

  it.each([
    ["no output", fixture("missing-output.json")],
    ["output without message", { output: {}, stopReason: "end_turn" }],
    ["message without content array", { output: { message: { role: "assistant" } } }],
  ])("%s → 502 upstream_invalid_response", (_name, res) => {
    expect(errorOf(() => toChatCompletion(res as never, META))).toMatchObject({ status: 502, code: "upstream_invalid_response" });
  });
});

describe("toChatCompletion: legacy functions (the request used `functions`)", () => {
  const LEGACY = { ...META, legacyFunctions: true };
  it.each([
    ["text-end-turn.json", undefined, completion({ content: "Hello, world!" }, "stop", [12, 4])],
    [
      "tool-use-text-and-two-calls.json (only the first call survives)",
      undefined,
      completion({ content: "Let me check.", function_call: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } }, "function_call", [50, 30]),
    ],
    [
      "tool-use-only-null-content.json",
      undefined,
      completion({ content: null, function_call: { name: "lookup", arguments: '{"q":"x"}' } }, "function_call", [20, 10]),
    ],
    [
      "reasoning-then-tool.json",
      undefined,
      completion(
        { content: null, reasoning_content: "I should look it up.", function_call: { name: "search", arguments: '{"query":"bedrock"}' } },
        "function_call",
        [100, 60],
      ),
    ],
    ["json-tool-response.json", "json_response", completion({ content: '{"name":"Ada","age":36}' }, "stop", [40, 15])],
    [
      "json-tool-response.json (without jsonToolName)",
      undefined,
      completion({ function_call: { name: "json_response", arguments: '{"name":"Ada","age":36}' } }, "function_call", [40, 15]),
    ],
    ["max-tokens-length.json", undefined, completion({ content: "Once upon a" }, "length", [8, 3])],
  ])("%s", (name, jsonToolName, expected) => {
    const out = toChatCompletion(fixture(name.split(" ")[0]!), { ...LEGACY, jsonToolName });
    expect(out.completion).toStrictEqual(expected);
    // The client never sees a call id (its next turn mints `call_fn_<index>`): nothing to key kept reasoning by.
    expect(out.toolCallIds).toEqual([]);
  });

  it("keeps the reasoning blocks and raw stop reason for the caller", () => {
    const out = toChatCompletion(fixture("reasoning-then-tool.json"), LEGACY);
    expect(out.reasoning).toHaveLength(2);
    expect(out.stopReason).toBe("tool_use");
  });
});
