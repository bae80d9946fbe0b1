import { describe, expect, it } from "vitest";
import { createConverseStreamTranslator } from "../../../../src/doors/anthropic-messages/converse-stream";
import type { AnthropicStreamEvent } from "../../../../src/doors/anthropic-messages/schema";
import { GatewayError } from "../../../../src/errors";
import { chunksFixture } from "../../translate/helpers";

const meta = { id: "msg_1", model: "nova-lite", inputEstimate: 7 };

function run(name: string) {
  const t = createConverseStreamTranslator(meta);
  const events: AnthropicStreamEvent[] = [];
  for (const e of chunksFixture(name)) events.push(...t.push(e));
  events.push(...t.finish());
  return { events, t };
}

/** Folds the events the way Anthropic's SDK accumulates a message. */
function accumulate(events: AnthropicStreamEvent[]) {
  const content: Record<string, unknown>[] = [];
  const json: string[] = [];
  let stop: unknown = null;
  let usage: unknown = null;
  for (const e of events) {
    if (e.type === "content_block_start") content[e.index as number] = { ...(e.content_block as object) };
    if (e.type === "content_block_delta") {
      const b = content[e.index as number]!;
      const d = e.delta as Record<string, string>;
      if (d.type === "text_delta") b.text += d.text!;
      if (d.type === "thinking_delta") b.thinking += d.thinking!;
      if (d.type === "signature_delta") b.signature = d.signature;
      if (d.type === "input_json_delta") json[e.index as number] = (json[e.index as number] ?? "") + d.partial_json;
    }
    if (e.type === "content_block_stop" && json[e.index as number] !== undefined) content[e.index as number]!.input = JSON.parse(json[e.index as number]!);
    if (e.type === "message_delta") [stop, usage] = [(e.delta as { stop_reason: unknown }).stop_reason, e.usage];
  }
  return { content, stop, usage };
}

describe("createConverseStreamTranslator", () => {
  it.each([
    ["text-end-turn.chunks.jsonl", ["text"], "end_turn"],
    ["reasoning-then-tool.chunks.jsonl", ["thinking", "redacted_thinking", "tool_use"], "tool_use"],
    ["reasoning-then-text.chunks.jsonl", ["thinking", "text"], "end_turn"],
    ["tool-use-text-and-two-calls.chunks.jsonl", ["text", "tool_use", "tool_use"], "tool_use"],
    ["multibyte-tool-args.chunks.jsonl", ["text", "tool_use"], "tool_use"],
    ["max-tokens-length.chunks.jsonl", ["text"], "max_tokens"],
    ["metadata-before-message-stop.chunks.jsonl", ["text"], "end_turn"],
    ["cache-read-write-usage.chunks.jsonl", ["text"], "end_turn"],
  ])("%s: Anthropic's event order, dense indexes, usage last", (name, kinds, stop) => {
    const { events } = run(name);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(["message_start", "ping"]);
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
    const starts = events.filter((e) => e.type === "content_block_start");
    expect(starts.map((e) => e.index)).toEqual(kinds.map((_, i) => i));
    expect(events.filter((e) => e.type === "content_block_stop").map((e) => e.index)).toEqual(kinds.map((_, i) => i));
    const acc = accumulate(events);
    expect(acc.content.map((b) => b.type)).toEqual(kinds);
    expect(acc.stop).toBe(stop);
    expect(acc.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    for (const b of acc.content) if (b.type === "tool_use") expect(typeof b.input).toBe("object");
  });

  it("carries the thinking signature as a signature_delta", () => {
    const { events } = run("reasoning-then-tool.chunks.jsonl");
    expect(events.some((e) => e.type === "content_block_delta" && (e.delta as { type: string }).type === "signature_delta")).toBe(true);
  });

  it("a stream cut before messageStop is truncated; one cut after it closes with an estimate", () => {
    const cut = createConverseStreamTranslator(meta);
    for (const e of chunksFixture("truncated-no-message-stop.chunks.jsonl")) cut.push(e);
    expect(() => cut.finish()).toThrow(GatewayError);
    const noMeta = createConverseStreamTranslator(meta);
    const out = chunksFixture("text-end-turn.chunks.jsonl")
      .filter((e) => e.type !== "metadata")
      .flatMap((e) => noMeta.push(e));
    expect(out.at(-1)!.type).not.toBe("message_stop");
    const end = noMeta.finish();
    expect(end.map((e) => e.type)).toEqual(["message_delta", "message_stop"]);
    expect((end[0]!.usage as { input_tokens: number }).input_tokens).toBe(7);
    expect(noMeta.state.usage).toBeNull();
  });
});
