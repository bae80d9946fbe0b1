/** Converse → Responses: the plain response's items and status, the streamed event translation, OpenAI's usage arithmetic. */
import { describe, expect, it } from "vitest";
import type { ConverseStreamEvent } from "../../../../src/bedrock/converse-types";
import { fromConverseResponse, type ResponseMeta, statusFor, toResponseUsage } from "../../../../src/doors/openai-responses/from-converse";
import { ResponsesRequestSchema } from "../../../../src/doors/openai-responses/schema";
import { createResponsesStreamTranslator } from "../../../../src/doors/openai-responses/stream";

const req = ResponsesRequestSchema.parse({ model: "m", input: "hi" });
const meta = (o: Partial<ResponseMeta> = {}): ResponseMeta => {
  let n = 0;
  return { id: "resp_1", createdAt: 1, model: "m", summary: false, newId: (p) => `${p}_${++n}`, ...o };
};
const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
const converse = (content: unknown[], stopReason = "end_turn") => ({ output: { message: { role: "assistant", content } }, stopReason, usage }) as never;

describe("toResponseUsage: input_tokens includes cached tokens", () => {
  it.each([
    { u: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 }, chars: 0, input: 10, cached: 0, total: 15, reasoning: 0 },
    { u: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 90, cacheWriteTokens: 0 }, chars: 0, input: 100, cached: 90, total: 105, reasoning: 0 },
    { u: { inputTokens: 0, outputTokens: 7, cacheReadTokens: 30, cacheWriteTokens: 20 }, chars: 8, input: 50, cached: 30, total: 57, reasoning: 2 },
    { u: { inputTokens: 3, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 }, chars: 400, input: 3, cached: 0, total: 5, reasoning: 2 },
  ])("in $u.inputTokens + read $u.cacheReadTokens + write $u.cacheWriteTokens", ({ u, chars, input, cached, total, reasoning }) => {
    expect(toResponseUsage(u, chars)).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: cached },
      output_tokens: u.outputTokens,
      output_tokens_details: { reasoning_tokens: reasoning },
      total_tokens: total,
    });
  });
});

describe("statusFor", () => {
  it.each([
    ["end_turn", false, 0, "completed", null],
    ["tool_use", false, 1, "completed", null],
    ["max_tokens", false, 0, "incomplete", { reason: "max_output_tokens" }],
    ["guardrail_intervened", false, 0, "incomplete", { reason: "content_filter" }],
    ["content_filtered", false, 0, "incomplete", { reason: "content_filter" }],
  ] as const)("%s", (stop, json, calls, status, details) => {
    expect(statusFor(stop, json, calls)).toEqual({ status, incomplete_details: details });
  });
});

describe("fromConverseResponse", () => {
  it.each([
    {
      name: "text is one message item",
      content: [{ text: "Hello" }, { text: " there" }],
      items: [
        {
          id: "msg_1",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Hello there", annotations: [], logprobs: [] }],
        },
      ],
    },
    {
      name: "a tool call with input",
      content: [{ toolUse: { toolUseId: "t1", name: "f", input: { a: 1 } } }],
      items: [{ id: "fc_1", type: "function_call", status: "completed", call_id: "t1", name: "f", arguments: '{"a":1}' }],
    },
    {
      name: "a tool call with no input has arguments {}",
      content: [{ toolUse: { toolUseId: "t1", name: "f", input: {} } }],
      items: [{ id: "fc_1", type: "function_call", status: "completed", call_id: "t1", name: "f", arguments: "{}" }],
    },
    {
      name: "reasoning before a call is a reasoning item without its text unless a summary was asked for",
      content: [{ reasoningContent: { reasoningText: { text: "think", signature: "s" } } }, { toolUse: { toolUseId: "t1", name: "f", input: {} } }],
      items: [
        { id: "rs_1", type: "reasoning", summary: [] },
        { id: "fc_2", type: "function_call", status: "completed", call_id: "t1", name: "f", arguments: "{}" },
      ],
    },
  ])("$name", ({ content, items }) => {
    const out = fromConverseResponse(req, converse(content), meta());
    expect(out.response.output).toEqual(items);
    expect(out.response.status).toBe("completed");
  });

  it("keeps the signed reasoning blocks by item id, and shows the text as summary when asked", () => {
    const block = { reasoningText: { text: "think", signature: "s" } };
    const out = fromConverseResponse(req, converse([{ reasoningContent: block }, { text: "ok" }]), meta({ summary: true }));
    expect(out.reasoning).toEqual({ rs_1: [block] });
    expect(out.response.output[0]).toEqual({ id: "rs_1", type: "reasoning", summary: [{ type: "summary_text", text: "think" }] });
  });

  it("the json tool's input is the answer's text, {} when it has none", () => {
    const out = fromConverseResponse(
      req,
      converse([{ toolUse: { toolUseId: "t1", name: "json_response", input: {} } }], "tool_use"),
      meta({ jsonToolName: "json_response" }),
    );
    expect(out.response.output).toMatchObject([{ type: "message", content: [{ type: "output_text", text: "{}" }] }]);
    expect(out.response.status).toBe("completed");
  });

  it("a cut response is incomplete, and so is its last item", () => {
    const out = fromConverseResponse(req, converse([{ text: "partial" }], "max_tokens"), meta());
    expect(out.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [{ status: "incomplete" }] });
  });
});

describe("the stream translator", () => {
  const run = (events: ConverseStreamEvent[], o: Partial<ResponseMeta> = {}) => {
    const t = createResponsesStreamTranslator(req, { ...meta(o), inputEstimate: 1 });
    const out = events.flatMap((e) => t.push(e));
    out.push(...t.finish());
    return { out, t };
  };
  const tail = (stop: string): ConverseStreamEvent[] =>
    [
      { type: "messageStop", body: { stopReason: stop } },
      { type: "metadata", body: { usage } },
    ] as ConverseStreamEvent[];

  it("emits OpenAI's sequence for text", () => {
    const { out } = run([
      { type: "messageStart", body: { role: "assistant" } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { text: "He" } } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { text: "llo" } } },
      { type: "contentBlockStop", body: { contentBlockIndex: 0 } },
      ...tail("end_turn"),
    ] as ConverseStreamEvent[]);
    expect(out.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(out.at(-1)).toMatchObject({ response: { status: "completed", usage: { input_tokens: 10, output_tokens: 5 } } });
  });

  it.each([
    { name: "a function call with no input", json: undefined, done: "response.function_call_arguments.done", field: "arguments" },
    { name: "the json tool with no input", json: "json_response", done: "response.output_text.done", field: "text" },
  ])("$name ends as {}", ({ json, done, field }) => {
    const { out } = run(
      [
        { type: "messageStart", body: { role: "assistant" } },
        { type: "contentBlockStart", body: { contentBlockIndex: 0, start: { toolUse: { toolUseId: "t1", name: json ?? "f" } } } },
        { type: "contentBlockStop", body: { contentBlockIndex: 0 } },
        ...tail("tool_use"),
      ] as ConverseStreamEvent[],
      { jsonToolName: json },
    );
    expect(out.find((e) => e.type === done)).toMatchObject({ [field]: "{}" });
    expect(out.at(-1)!.type).toBe("response.completed");
  });

  it("a response cut by the token limit ends with response.incomplete", () => {
    const { out, t } = run([
      { type: "messageStart", body: { role: "assistant" } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { text: "cut" } } },
      ...tail("max_tokens"),
    ] as ConverseStreamEvent[]);
    expect(out.at(-1)).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
    expect(t.state.final?.status).toBe("incomplete");
  });

  it("keeps streamed signed reasoning by item id", () => {
    const { t } = run([
      { type: "messageStart", body: { role: "assistant" } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { reasoningContent: { text: "th" } } } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { reasoningContent: { text: "ink" } } } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 0, delta: { reasoningContent: { signature: "sig" } } } },
      { type: "contentBlockStop", body: { contentBlockIndex: 0 } },
      { type: "contentBlockDelta", body: { contentBlockIndex: 1, delta: { text: "ok" } } },
      ...tail("end_turn"),
    ] as ConverseStreamEvent[]);
    expect(t.state.reasoning).toEqual({ rs_1: [{ reasoningText: { text: "think", signature: "sig" } }] });
  });

  it("a stream that ends before messageStop is an error", () => {
    const t = createResponsesStreamTranslator(req, { ...meta(), inputEstimate: 1 });
    t.push({ type: "messageStart", body: { role: "assistant" } });
    expect(() => t.finish()).toThrow(/ended the stream early/);
  });
});
