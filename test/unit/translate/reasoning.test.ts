import { describe, expect, it } from "vitest";
import type { ReasoningContentBlock } from "../../../src/bedrock/converse-types";
import { clientReasoningBlocks, fitThinkingBudget } from "../../../src/translate/reasoning";
import { assistant, call, CLAUDE, model, NOVA, PLAIN, translate, user } from "./helpers";

const q = [user("q")];
const SIGNED: ReasoningContentBlock = { reasoningText: { text: "thinking...", signature: "sig1" } };
const REDACTED: ReasoningContentBlock = { redactedContent: "ZW5jcnlwdGVk" };

describe("reasoning_effort on claude-thinking models", () => {
  it("low: exact body with thinking, temperature/top_p dropped", () => {
    const out = translate({ messages: q, reasoning_effort: "low", temperature: 0.2, top_p: 0.9 }, CLAUDE);
    expect(out).toEqual({
      body: {
        messages: [{ role: "user", content: [{ text: "q" }] }],
        inferenceConfig: { maxTokens: 8192 },
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } },
      },
      thinking: true,
      warnings: ["temperature and top_p are not supported with extended thinking: dropped"],
    });
  });

  it.each([
    ["minimal", {}, 1024, 8192, []],
    ["medium (budget = default max → raised)", {}, 8192, 12288, ["max tokens raised from 8192 to 12288 to fit the thinking budget"]],
    ["high", {}, 16384, 20480, ["max tokens raised from 8192 to 20480 to fit the thinking budget"]],
    ["xhigh → high budget", {}, 16384, 20480, ["max tokens raised from 8192 to 20480 to fit the thinking budget"]],
    ["low with small explicit max_tokens", { max_tokens: 2000 }, 2048, 6144, ["max tokens raised from 2000 to 6144 to fit the thinking budget"]],
    ["low with ample max_completion_tokens", { max_completion_tokens: 30000 }, 2048, 30000, []],
  ])("%s", (name, extra, budget, maxTokens, warnings) => {
    const effort = name.split(" ")[0];
    const out = translate({ messages: q, reasoning_effort: effort, ...extra }, CLAUDE);
    expect(out.thinking).toBe(true);
    expect(out.body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: budget } });
    expect(out.body.inferenceConfig!.maxTokens).toBe(maxTokens);
    expect(out.warnings).toEqual(warnings);
  });

  it("budget lowered (keeping answer room) when the model's output limit is small", () => {
    const small = model({ reasoning: "claude-thinking", defaultMaxTokens: 4096, maxOutputTokens: 10000 });
    const out = translate({ messages: q, reasoning_effort: "high" }, small);
    expect(out.body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 5904 } });
    expect(out.body.inferenceConfig!.maxTokens).toBe(10000);
  });

  it("thinking impossible within the output limit → dropped, request still served", () => {
    const tiny = model({ id: "tiny", reasoning: "claude-thinking", defaultMaxTokens: 1024, maxOutputTokens: 1024 });
    const out = translate({ messages: q, reasoning_effort: "low", temperature: 0.5 }, tiny);
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toMatch(/minimum thinking budget/);
    expect(out.body.additionalModelRequestFields).toBeUndefined();
    expect(out.body.inferenceConfig).toEqual({ maxTokens: 1024, temperature: 0.5 });
  });

  it.each([["none"], [undefined]])("reasoning_effort %s → no thinking", (effort) => {
    const out = translate({ messages: q, reasoning_effort: effort, temperature: 0.3 }, CLAUDE);
    expect(out.thinking).toBe(false);
    expect(out.body.additionalModelRequestFields).toBeUndefined();
    expect(out.body.inferenceConfig).toEqual({ maxTokens: 8192, temperature: 0.3 });
    expect(out.warnings).toEqual([]);
  });
});

describe("reasoning_effort on other models", () => {
  it.each([
    ["minimal", "low"],
    ["low", "low"],
    ["medium", "medium"],
    ["high", "high"],
    ["xhigh", "xhigh"],
  ])("output-effort: %s → outputConfig.effort %s", (effort, expected) => {
    const out = translate({ messages: q, reasoning_effort: effort }, NOVA);
    expect(out.body.outputConfig).toEqual({ effort: expected });
    expect(out.thinking).toBe(false);
    expect(out.body.additionalModelRequestFields).toBeUndefined();
  });

  it("output-effort: none → no outputConfig", () => {
    expect(translate({ messages: q, reasoning_effort: "none" }, NOVA).body.outputConfig).toBeUndefined();
  });

  it("no reasoning control → ignored with a warning", () => {
    const out = translate({ messages: q, reasoning_effort: "high" }, PLAIN);
    expect(out.body).toEqual({ messages: [{ role: "user", content: [{ text: "q" }] }], inferenceConfig: { maxTokens: 1000 } });
    expect(out.warnings).toEqual(["reasoning_effort ignored: model 'plain' has no reasoning control"]);
  });
});

describe("reasoning round-trip", () => {
  const toolTurn = (id: string, extra: Record<string, unknown> = {}) => [
    assistant("Checking.", { tool_calls: [call(id, "f", '{"a":1}')], ...extra }),
    { role: "tool", tool_call_id: id, content: "done" },
  ];

  it("kept blocks go first in the assistant tool-call turn", () => {
    const out = translate({ messages: [user("q"), ...toolTurn("call_1")], reasoning_effort: "low" }, CLAUDE, {
      reasoningFor: (id) => (id === "call_1" ? [SIGNED, REDACTED] : undefined),
    });
    expect(out.thinking).toBe(true);
    expect(out.body.messages[1]).toEqual({
      role: "assistant",
      content: [
        { reasoningContent: SIGNED },
        { reasoningContent: REDACTED },
        { text: "Checking." },
        { toolUse: { toolUseId: "call_1", name: "f", input: { a: 1 } } },
      ],
    });
  });

  it("client-sent thinking_blocks are used (and win over kept ones); unsigned thinking is skipped", () => {
    const thinking_blocks = [
      { type: "thinking", thinking: "t1", signature: "s1" },
      { type: "thinking", thinking: "unsigned" },
      { type: "redacted_thinking", data: "cmVk" },
    ];
    const out = translate({ messages: [user("q"), ...toolTurn("call_1", { reasoning_content: "t1", thinking_blocks })], reasoning_effort: "medium" }, CLAUDE, {
      reasoningFor: () => [SIGNED],
    });
    expect(out.body.messages[1]!.content.slice(0, 2)).toEqual([
      { reasoningContent: { reasoningText: { text: "t1", signature: "s1" } } },
      { reasoningContent: { redactedContent: "cmVk" } },
    ]);
    expect(out.body.messages[1]!.content).toHaveLength(4);
  });

  it("a tool-call turn without blocks turns thinking off and strips every reasoning block", () => {
    const out = translate(
      {
        messages: [user("q"), ...toolTurn("call_1"), assistant("mid"), user("more"), ...toolTurn("call_2")],
        reasoning_effort: "high",
        temperature: 0.7,
      },
      CLAUDE,
      { reasoningFor: (id) => (id === "call_1" ? [SIGNED] : undefined) },
    );
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toMatch(/no thinking blocks/);
    expect(out.body.additionalModelRequestFields).toBeUndefined();
    expect(out.body.inferenceConfig).toEqual({ maxTokens: 8192, temperature: 0.7 });
    expect(JSON.stringify(out.body.messages)).not.toContain("reasoningContent");
  });

  it("thinking off → client reasoning is never sent", () => {
    const blocks = [{ type: "thinking", thinking: "t", signature: "s" }];
    const out = translate({ messages: [user("q"), ...toolTurn("call_1", { thinking_blocks: blocks })] }, CLAUDE, { reasoningFor: () => [SIGNED] });
    expect(JSON.stringify(out.body)).not.toContain("reasoningContent");
  });

  it("reasoning blocks move to the front of a merged assistant turn", () => {
    const out = translate({ messages: [user("q"), assistant("first"), ...toolTurn("call_1")], reasoning_effort: "low" }, CLAUDE, {
      reasoningFor: () => [SIGNED],
    });
    expect(out.body.messages[1]!.content[0]).toEqual({ reasoningContent: SIGNED });
    expect(out.body.messages[1]!.content[1]).toEqual({ text: "first" });
  });

  it("assistant prefill with thinking → thinking dropped", () => {
    const out = translate({ messages: [user("q"), assistant("Sure, here")], reasoning_effort: "low" }, CLAUDE);
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toMatch(/prefill/);
  });
});

describe("fitThinkingBudget", () => {
  const m = (maxOutputTokens: number) => model({ reasoning: "claude-thinking", maxOutputTokens, defaultMaxTokens: Math.min(4096, maxOutputTokens) });
  it.each([
    ["fits already", 2048, 4096, 64000, { budget: 2048, maxTokens: 4096 }],
    ["raise maxTokens", 4096, 4096, 64000, { budget: 4096, maxTokens: 8192 }],
    ["raise capped at model max, budget trimmed to keep answer room", 16384, 8192, 20000, { budget: 15904, maxTokens: 20000 }],
    ["shrink budget, keep half for the answer", 16384, 4096, 8192, { budget: 4096, maxTokens: 8192 }],
    ["shrink to the minimum", 4096, 1500, 1500, { budget: 1024, maxTokens: 1500 }],
    ["impossible", 1024, 1024, 1024, null],
  ])("%s", (_name, budget, maxTokens, maxOut, expected) => {
    expect(fitThinkingBudget(budget, maxTokens, m(maxOut), [])).toEqual(expected);
  });
});

describe("clientReasoningBlocks", () => {
  it.each([
    [null, []],
    [[{ type: "thinking" as const, thinking: "a", signature: "s" }], [{ reasoningText: { text: "a", signature: "s" } }]],
    [[{ type: "thinking" as const, thinking: "a", signature: null }], []],
    [[{ type: "redacted_thinking" as const, data: "d" }], [{ redactedContent: "d" }]],
  ])("%j", (input, expected) => {
    expect(clientReasoningBlocks(input)).toEqual(expected);
  });
});
