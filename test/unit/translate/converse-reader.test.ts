/** The shared ConverseStream reader: steps in order, block bookkeeping, and the stream's end, table-driven. */
import { describe, expect, it } from "vitest";
import type { ConverseStreamEvent } from "../../../src/bedrock/converse-types";
import { createConverseReader, toReasoningContent } from "../../../src/translate/converse-reader";

const ev = {
  start: { type: "messageStart", body: { role: "assistant" } },
  tool: (i: number, id = `t${i}`, name = "f") => ({ type: "contentBlockStart", body: { contentBlockIndex: i, start: { toolUse: { toolUseId: id, name } } } }),
  text: (i: number, text: string) => ({ type: "contentBlockDelta", body: { contentBlockIndex: i, delta: { text } } }),
  input: (i: number, input: string) => ({ type: "contentBlockDelta", body: { contentBlockIndex: i, delta: { toolUse: { input } } } }),
  think: (i: number, r: Record<string, string>) => ({ type: "contentBlockDelta", body: { contentBlockIndex: i, delta: { reasoningContent: r } } }),
  stop: (i: number) => ({ type: "contentBlockStop", body: { contentBlockIndex: i } }),
  end: (stopReason?: string) => ({ type: "messageStop", body: stopReason ? { stopReason } : {} }),
  meta: (inputTokens = 3, outputTokens = 5) => ({ type: "metadata", body: { usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens } } }),
} as const;

/** Each step as a short string: `type` and what tells steps apart. */
function trace(events: unknown[]): string[] {
  const r = createConverseReader();
  return events.flatMap((e) =>
    r.read(e as ConverseStreamEvent).map((s) => {
      switch (s.type) {
        case "start":
        case "messageStop":
          return s.type === "start" ? "start" : `messageStop:${s.stopReason}`;
        case "usage":
          return `usage:${s.usage.outputTokens}${s.afterStop ? ":after" : ""}`;
        case "toolStart":
          return `toolStart#${s.block.seq}:${s.block.name}`;
        case "text":
          return `text#${s.block.seq}${s.opened ? "+" : ""}:${s.text}`;
        case "toolInput":
          return `toolInput#${s.block.seq}:${s.input}:${s.block.args}`;
        case "reasoning":
          return `reasoning#${s.block.seq}${s.opened ? "+" : ""}`;
        case "blockStop":
          return `blockStop#${s.block.seq}:${s.block.kind}${s.reasoning ? `:${JSON.stringify(s.reasoning)}` : ""}`;
      }
    }),
  );
}

describe("createConverseReader", () => {
  it.each([
    {
      name: "text, then a tool call with its argument buffer, then usage after messageStop",
      events: [ev.start, ev.text(0, "Hi"), ev.stop(0), ev.tool(1), ev.input(1, '{"a"'), ev.input(1, ":1}"), ev.stop(1), ev.end("tool_use"), ev.meta()],
      steps: [
        "start",
        "text#0+:Hi",
        "blockStop#0:text",
        "toolStart#1:f",
        'toolInput#1:{"a":{"a"',
        'toolInput#1::1}:{"a":1}',
        "blockStop#1:tool",
        "messageStop:tool_use",
        "usage:5:after",
      ],
    },
    {
      name: "no messageStart: the first content event starts the message; empty fragments are skipped",
      events: [ev.text(0, ""), ev.text(0, "x"), ev.tool(1), ev.input(1, ""), ev.end("end_turn")],
      steps: ["start", "text#0+:x", "toolStart#1:f", "blockStop#0:text", "blockStop#1:tool", "messageStop:end_turn"],
    },
    {
      name: "reasoning: text and signature become the block's reasoning content at its stop",
      events: [ev.start, ev.think(0, { text: "hm" }), ev.think(0, { signature: "s1" }), ev.stop(0), ev.end()],
      steps: [
        "start",
        "reasoning#0+",
        "reasoning#0",
        `blockStop#0:reasoning:${JSON.stringify({ reasoningText: { text: "hm", signature: "s1" } })}`,
        "messageStop:null",
      ],
    },
    {
      name: "after messageStop only the first metadata is read",
      events: [ev.start, ev.end("end_turn"), ev.text(0, "late"), ev.meta(1, 2), ev.meta(9, 9)],
      steps: ["start", "messageStop:end_turn", "usage:2:after"],
    },
    {
      name: "metadata before messageStop",
      events: [ev.start, ev.meta(1, 7), ev.end("end_turn")],
      steps: ["start", "usage:7", "messageStop:end_turn"],
    },
    {
      name: "blocks are numbered in order of appearance, whatever Bedrock's indexes",
      events: [ev.tool(5, "a", "g"), ev.text(2, "t"), ev.stop(5), ev.stop(2), ev.stop(9), ev.end()],
      steps: ["start", "toolStart#0:g", "text#1+:t", "blockStop#0:tool", "blockStop#1:text", "messageStop:null"],
    },
  ])("$name", ({ events, steps }) => {
    expect(trace(events)).toEqual(steps);
  });

  it.each([
    { name: "tool input with no block", events: [ev.start, ev.input(0, "{}")] },
    { name: "tool input on a text block", events: [ev.start, ev.text(0, "x"), ev.input(0, "{}")] },
  ])("refuses $name with a 502 naming the block", ({ events }) => {
    const r = createConverseReader();
    expect(() => {
      for (const e of events) r.read(e as ConverseStreamEvent);
    }).toThrow(expect.objectContaining({ status: 502, code: "upstream_invalid_response" }));
  });

  it("counts text, tool input and reasoning text for the output estimate, and ends only after messageStop", () => {
    const r = createConverseReader();
    for (const e of [ev.start, ev.text(0, "abcd"), ev.tool(1), ev.input(1, "{}"), ev.think(2, { text: "xy", redactedContent: "zz" })])
      r.read(e as ConverseStreamEvent);
    expect(r.outputChars).toBe(8);
    expect(r.estimatedOutputTokens).toBe(2);
    expect(() => r.end()).toThrow(expect.objectContaining({ code: "upstream_stream_truncated" }));
    r.read(ev.end("end_turn") as ConverseStreamEvent);
    expect(() => r.end()).not.toThrow();
    expect(r.stopReason).toBe("end_turn");
  });

  it.each([
    { block: { text: "t", signature: "s" }, expected: { reasoningText: { text: "t", signature: "s" } } },
    { block: { text: "t" }, expected: { reasoningText: { text: "t" } } },
    { block: { text: "", redacted: "r" }, expected: { redactedContent: "r" } },
  ])("toReasoningContent($block)", ({ block, expected }) => {
    expect(toReasoningContent(block)).toEqual(expected);
  });
});
