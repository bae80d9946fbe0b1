/** Responses request → Chat Completions request: table-driven over input shapes, tools, settings and refusals. */
import { describe, expect, it } from "vitest";
import { ResponsesRequestSchema, type ResponsesRequest } from "../../../../src/doors/openai-responses/schema";
import { type ContextItem, readdressError, renameFields, toChatRequest } from "../../../../src/doors/openai-responses/to-chat";
import { GatewayError } from "../../../../src/errors";

const req = (body: Record<string, unknown>): ResponsesRequest => ResponsesRequestSchema.parse({ model: "m", ...body });
const itemsOf = (r: ResponsesRequest): ContextItem[] =>
  typeof r.input === "string" ? [{ type: "message", role: "user", content: r.input }] : ((r.input ?? []) as ContextItem[]);
const chatOf = (body: Record<string, unknown>, prior: ContextItem[] = []) => {
  const r = req(body);
  return toChatRequest(r, [...prior, ...itemsOf(r)], prior.length);
};
const THINK = { reasoningText: { text: "hmm", signature: "sig" } };

describe("toChatRequest: messages", () => {
  const cases: { name: string; body: Record<string, unknown>; prior?: ContextItem[]; messages: unknown[] }[] = [
    { name: "a string input is one user message", body: { input: "hi" }, messages: [{ role: "user", content: "hi" }] },
    {
      name: "instructions become the system message",
      body: { instructions: "Be brief.", input: "hi" },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
    },
    {
      name: "input_text and output_text parts become text parts",
      body: {
        input: [
          { role: "user", content: [{ type: "input_text", text: "a" }] },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "b" }] },
          { role: "user", content: "c" },
        ],
      },
      messages: [
        { role: "user", content: [{ type: "text", text: "a" }] },
        { role: "assistant", content: [{ type: "text", text: "b" }] },
        { role: "user", content: "c" },
      ],
    },
    {
      name: "reasoning, text and a call join one assistant turn; the output becomes a tool message",
      body: {
        input: [
          { role: "user", content: "q" },
          { type: "reasoning", id: "rs_1", summary: [] },
          { type: "function_call", call_id: "c1", name: "f", arguments: '{"a":1}' },
          { type: "function_call_output", call_id: "c1", output: "42" },
        ],
      },
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
    },
    {
      name: "a call sent back with empty arguments reads as {}",
      body: {
        input: [
          { role: "user", content: "q" },
          { type: "function_call", call_id: "c1", name: "f", arguments: "" },
          { type: "function_call_output", call_id: "c1", output: "ok" },
        ],
      },
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "ok" },
      ],
    },
    {
      name: "earlier turns come first, instructions are this request's only",
      prior: [
        { type: "message", role: "user", content: "before" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "answer" }] } as ContextItem,
      ],
      body: { input: "now" },
      messages: [
        { role: "user", content: "before" },
        { role: "assistant", content: [{ type: "text", text: "answer" }] },
        { role: "user", content: "now" },
      ],
    },
  ];
  it.each(cases)("$name", ({ body, prior, messages }) => {
    expect(chatOf(body, prior).chat.messages).toEqual(messages);
  });

  it("opened reasoning blocks become thinking blocks of the assistant turn", () => {
    const items: ContextItem[] = [
      { type: "message", role: "user", content: "q" },
      { type: "reasoning", id: "rs_1", summary: [], blocks: [THINK, { redactedContent: "xx" }] } as ContextItem,
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
    ];
    const plan = toChatRequest(req({ input: [] }), items, 0);
    expect(plan.chat.messages[1]).toMatchObject({
      role: "assistant",
      thinking_blocks: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "redacted_thinking", data: "xx" },
      ],
    });
    expect(plan.sources[1]).toEqual({ param: "input[1]", exact: false });
  });
});

describe("toChatRequest: settings and tools", () => {
  const cases: { name: string; body: Record<string, unknown>; chat: Record<string, unknown> }[] = [
    { name: "max_output_tokens", body: { max_output_tokens: 64 }, chat: { max_completion_tokens: 64 } },
    { name: "temperature and top_p", body: { temperature: 0.2, top_p: 0.9 }, chat: { temperature: 0.2, top_p: 0.9 } },
    { name: "reasoning effort", body: { reasoning: { effort: "low" } }, chat: { reasoning_effort: "low" } },
    { name: "stream", body: { stream: true }, chat: { stream: true } },
    { name: "parallel_tool_calls", body: { parallel_tool_calls: false }, chat: { parallel_tool_calls: false } },
    {
      name: "function tools",
      body: { tools: [{ type: "function", name: "f", parameters: { type: "object" }, strict: true }] },
      chat: { tools: [{ type: "function", function: { name: "f", parameters: { type: "object" }, strict: true } }] },
    },
    {
      name: "tool_choice by name",
      body: { tool_choice: { type: "function", name: "f" } },
      chat: { tool_choice: { type: "function", function: { name: "f" } } },
    },
    { name: "tool_choice required", body: { tool_choice: "required" }, chat: { tool_choice: "required" } },
    {
      name: "text.format json_schema",
      body: { text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } } },
      chat: { response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } } },
    },
    { name: "text.format json_object", body: { text: { format: { type: "json_object" } } }, chat: { response_format: { type: "json_object" } } },
  ];
  it.each(cases)("$name", ({ body, chat }) => {
    expect(chatOf({ input: "hi", ...body }).chat).toMatchObject(chat);
  });

  const refusals: { name: string; body: Record<string, unknown>; param: string; text: string }[] = [
    { name: "web_search tool", body: { tools: [{ type: "web_search" }] }, param: "tools[0].type", text: "web_search" },
    { name: "file_search tool", body: { tools: [{ type: "function", name: "f" }, { type: "file_search" }] }, param: "tools[1].type", text: "file_search" },
    { name: "computer_use tool", body: { tools: [{ type: "computer_use_preview" }] }, param: "tools[0].type", text: "computer_use_preview" },
    { name: "background", body: { background: true }, param: "background", text: "Background" },
    { name: "no input", body: { input: [] }, param: "input", text: "no input" },
  ];
  it.each(refusals)("refuses $name with a 400 naming it", ({ body, param, text }) => {
    let err: unknown;
    try {
      chatOf({ input: "hi", ...body });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).param).toBe(param);
    expect((err as GatewayError).message).toContain(text);
  });

  it("names ignored fields and include values in warnings", () => {
    const plan = chatOf({ input: "hi", service_tier: "flex", include: ["reasoning.encrypted_content", "message.output_text.logprobs"] });
    expect(plan.warnings).toEqual([
      "service_tier ignored: not supported on Bedrock",
      "include 'message.output_text.logprobs' ignored: not supported by this gateway",
    ]);
  });
});

describe("error re-addressing", () => {
  it.each([
    ["max_completion_tokens must be positive", "max_output_tokens must be positive"],
    ["tools[2].function.parameters is invalid", "tools[2].parameters is invalid"],
    ["reasoning_effort 'max' is unknown", "reasoning.effort 'max' is unknown"],
  ])("renames %s", (from, to) => expect(renameFields(from)).toBe(to));

  it("maps a chat message's param back to the input item it came from", () => {
    const plan = chatOf({ instructions: "x", input: [{ role: "user", content: [{ type: "input_text", text: "a" }] }] });
    const err = readdressError(GatewayError.invalidRequest("messages[1].content[0]", "messages[1] is bad"), plan.sources);
    expect(err.param).toBe("input[0].content[0]");
    expect(err.message).toBe("input[0] is bad");
  });
});
