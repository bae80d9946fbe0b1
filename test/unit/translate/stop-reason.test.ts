import { describe, expect, it } from "vitest";
import { mapStopReason } from "../../../src/translate/stop-reason";

describe("mapStopReason", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
    ["malformed_model_output", "stop"],
    ["malformed_tool_use", "stop"],
    ["something_new", "stop"],
    [null, "stop"],
    [undefined, "stop"],
  ] as const)("%s → %s", (reason, expected) => {
    expect(mapStopReason(reason)).toBe(expected);
  });
});
