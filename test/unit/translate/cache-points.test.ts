import { describe, expect, it } from "vitest";
import { CLAUDE, PLAIN, translate } from "./helpers";

const cc = { type: "ephemeral" };
const CP = { cachePoint: { type: "default" } };

describe("cache_control → cachePoint", () => {
  it("system part, with ttl", () => {
    const out = translate(
      {
        messages: [
          {
            role: "system",
            content: [
              { type: "text", text: "long", cache_control: { type: "ephemeral", ttl: "1h" } },
              { type: "text", text: "tail" },
            ],
          },
          { role: "user", content: "q" },
        ],
      },
      CLAUDE,
    );
    expect(out.body.system).toEqual([{ text: "long" }, { cachePoint: { type: "default", ttl: "1h" } }, { text: "tail" }]);
  });

  it("whole system message", () => {
    const out = translate(
      {
        messages: [
          { role: "system", content: "long", cache_control: cc },
          { role: "user", content: "q" },
        ],
      },
      CLAUDE,
    );
    expect(out.body.system).toEqual([{ text: "long" }, CP]);
  });

  it("user, assistant and tool parts and messages", () => {
    const out = translate(
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "a", cache_control: cc },
              { type: "text", text: "b" },
            ],
          },
          {
            role: "assistant",
            content: [{ type: "text", text: "c", cache_control: cc }],
            tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "t1", content: "r", cache_control: cc },
          { role: "user", content: "d", cache_control: cc },
        ],
        tools: [{ type: "function", function: { name: "f" } }],
      },
      CLAUDE,
    );
    expect(out.body.messages).toEqual([
      { role: "user", content: [{ text: "a" }, CP, { text: "b" }] },
      { role: "assistant", content: [{ text: "c" }, CP, { toolUse: { toolUseId: "t1", name: "f", input: {} } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "r" }] } }, CP, { text: "d" }, CP] },
    ]);
  });

  it("tool result cache point moves with its result; no duplicate or leading cache points", () => {
    const out = translate(
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: " ", cache_control: cc },
              { type: "text", text: "q", cache_control: cc },
            ],
            cache_control: cc,
          },
          { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "" } }] },
          { role: "user", content: "note" },
          { role: "tool", tool_call_id: "t1", content: [{ type: "text", text: "r", cache_control: cc }] },
        ],
      },
      CLAUDE,
    );
    expect(out.body.messages[0]).toEqual({ role: "user", content: [{ text: "q" }, CP] });
    expect(out.body.messages[2]).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "r" }] } }, CP, { text: "note" }] });
  });

  it("model without caching → markers dropped silently", () => {
    const out = translate(
      {
        messages: [
          { role: "system", content: "s", cache_control: cc },
          { role: "user", content: [{ type: "text", text: "a", cache_control: cc }] },
        ],
        tools: [{ type: "function", function: { name: "f" }, cache_control: cc }],
      },
      PLAIN,
    );
    expect(JSON.stringify(out.body)).not.toContain("cachePoint");
    expect(out.warnings).toEqual([]);
  });

  it("more than 4 → the last 4 in prompt order are kept, with a warning", () => {
    const out = translate(
      {
        tools: [{ type: "function", function: { name: "f" }, cache_control: cc }],
        messages: [
          { role: "system", content: "s", cache_control: cc },
          {
            role: "user",
            content: [
              { type: "text", text: "1", cache_control: cc },
              { type: "text", text: "2", cache_control: cc },
            ],
          },
          { role: "assistant", content: "3", cache_control: cc },
          { role: "user", content: "4", cache_control: cc },
        ],
      },
      CLAUDE,
    );
    expect(out.body.toolConfig!.tools).toEqual([{ toolSpec: { name: "f", inputSchema: { json: { type: "object", properties: {} } } } }]);
    expect(out.body.system).toEqual([{ text: "s" }]);
    expect(out.body.messages).toEqual([
      { role: "user", content: [{ text: "1" }, CP, { text: "2" }, CP] },
      { role: "assistant", content: [{ text: "3" }, CP] },
      { role: "user", content: [{ text: "4" }, CP] },
    ]);
    expect(out.warnings).toEqual(["2 cache point(s) dropped: at most 4 per request, the last ones kept"]);
  });
});
