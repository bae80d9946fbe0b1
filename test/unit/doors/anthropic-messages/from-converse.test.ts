import { describe, expect, it } from "vitest";
import { fromConverseResponse } from "../../../../src/doors/anthropic-messages/from-converse";
import { matchedStopSequence, toAnthropicStopReason } from "../../../../src/doors/anthropic-messages/stop-reason";
import { fixture } from "../../translate/helpers";

const meta = { id: "msg_1", model: "nova-lite" };

describe("toAnthropicStopReason", () => {
  it.each([
    ["end_turn", "end_turn"],
    ["tool_use", "tool_use"],
    ["max_tokens", "max_tokens"],
    ["stop_sequence", "stop_sequence"],
    ["model_context_window_exceeded", "model_context_window_exceeded"],
    ["guardrail_intervened", "refusal"],
    ["content_filtered", "refusal"],
    ["malformed_model_output", "end_turn"],
    ["malformed_tool_use", "end_turn"],
    ["something_new", "end_turn"],
    [null, "end_turn"],
  ])("%s → %s", (bedrock, anthropic) => expect(toAnthropicStopReason(bedrock)).toBe(anthropic));

  it.each([
    ["stop_sequence", ["END"], "END"],
    ["stop_sequence", ["A", "B"], null],
    ["end_turn", ["END"], null],
    ["stop_sequence", undefined, null],
  ])("stop sequence of %s with %j → %s", (reason, stops, expected) => expect(matchedStopSequence(reason, stops)).toBe(expected));
});

describe("fromConverseResponse", () => {
  it.each([
    ["text-end-turn", [{ type: "text" }, { type: "text" }], "end_turn"],
    ["reasoning-then-tool", [{ type: "thinking" }, { type: "redacted_thinking" }, { type: "tool_use" }], "tool_use"],
    ["tool-use-text-and-two-calls", [{ type: "text" }, { type: "tool_use" }, { type: "tool_use" }], "tool_use"],
    ["max-tokens-length", [{ type: "text" }], "max_tokens"],
    ["guardrail-intervened", [{ type: "text" }], "refusal"],
    ["cache-read-write-usage", [{ type: "text" }], "end_turn"],
  ])("%s", (name, blocks, stop) => {
    const res = fixture(`${name}.json`);
    const out = fromConverseResponse(res, meta);
    expect(out.message).toMatchObject({ id: "msg_1", type: "message", role: "assistant", model: "nova-lite", stop_reason: stop, stop_sequence: null });
    expect(out.message.content.map((b) => ({ type: b.type }))).toEqual(blocks);
    const u = res.usage!;
    expect(out.message.usage).toEqual({
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_input_tokens: u.cacheReadInputTokens ?? 0,
      cache_creation_input_tokens: u.cacheWriteInputTokens ?? 0,
    });
    expect(out.usage).toEqual({
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheReadTokens: u.cacheReadInputTokens ?? 0,
      cacheWriteTokens: u.cacheWriteInputTokens ?? 0,
    });
  });

  it("keeps thinking text and signature", () => {
    const out = fromConverseResponse(fixture("reasoning-then-tool.json"), meta);
    expect(out.message.content[0]).toMatchObject({ type: "thinking", thinking: expect.any(String), signature: expect.any(String) });
  });
});
