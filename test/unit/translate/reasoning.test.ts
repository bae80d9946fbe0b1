import { describe, expect, it } from "vitest";
import type { ReasoningContentBlock } from "../../../src/bedrock/converse-types";
import { clientReasoningBlocks, fitThinkingBudget } from "../../../src/translate/reasoning";
import { assistant, call, CLAUDE, CLAUDE37, model, NOVA, PLAIN, translate, user } from "./helpers";

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

  // Claude 3.7 Sonnet-like: default maxTokens 8192, output limit 64000; budgets 1024 / 2048 / 8192 / 16384.
  const lowered = (from: number, to: number, max: number) => [
    `thinking budget lowered from ${from} to ${to} tokens to leave room for the answer within ${max} max tokens`,
  ];
  it.each<[string, string, Record<string, number>, number, number, string[]]>([
    ["no limit, minimal", "minimal", {}, 1024, 8192, []],
    ["no limit, low", "low", {}, 2048, 8192, []],
    ["no limit, medium: default raised so the budget fits", "medium", {}, 8192, 12288, []],
    ["no limit, high: default raised", "high", {}, 16384, 20480, []],
    ["no limit, xhigh → the high budget", "xhigh", {}, 16384, 20480, []],
    ["medium, limit 8000 (below the budget)", "medium", { max_completion_tokens: 8000 }, 4000, 8000, lowered(8192, 4000, 8000)],
    ["high, limit 16000 (below the budget)", "high", { max_completion_tokens: 16000 }, 11904, 16000, lowered(16384, 11904, 16000)],
    ["medium, limit == budget", "medium", { max_completion_tokens: 8192 }, 4096, 8192, lowered(8192, 4096, 8192)],
    ["medium, limit == budget + 1", "medium", { max_completion_tokens: 8193 }, 4097, 8193, lowered(8192, 4097, 8193)],
    ["high, limit == budget", "high", { max_completion_tokens: 16384 }, 12288, 16384, lowered(16384, 12288, 16384)],
    ["medium, limit == budget + full answer room", "medium", { max_completion_tokens: 12288 }, 8192, 12288, []],
    ["medium, limit one short of budget + answer room", "medium", { max_completion_tokens: 12287 }, 8191, 12287, lowered(8192, 8191, 12287)],
    ["low, limit == budget", "low", { max_completion_tokens: 2048 }, 1024, 2048, lowered(2048, 1024, 2048)],
    ["low, limit 2049", "low", { max_completion_tokens: 2049 }, 1025, 2049, lowered(2048, 1025, 2049)],
    ["minimal, limit 2048", "minimal", { max_completion_tokens: 2048 }, 1024, 2048, []],
    ["minimal, limit 1280: minimum budget + least answer room", "minimal", { max_completion_tokens: 1280 }, 1024, 1280, []],
    ["low, limit 1280: budget down to the minimum", "low", { max_completion_tokens: 1280 }, 1024, 1280, lowered(2048, 1024, 1280)],
    ["low, ample limit", "low", { max_completion_tokens: 30000 }, 2048, 30000, []],
    ["high, the model's whole output limit", "high", { max_completion_tokens: 64000 }, 16384, 64000, []],
    ["medium, legacy max_tokens 8000", "medium", { max_tokens: 8000 }, 4000, 8000, lowered(8192, 4000, 8000)],
  ])("%s", (_name, effort, extra, budget, maxTokens, warnings) => {
    const out = translate({ messages: q, reasoning_effort: effort, ...extra }, CLAUDE37);
    expect(out.thinking).toBe(true);
    expect(out.body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: budget } });
    expect(out.body.inferenceConfig!.maxTokens).toBe(maxTokens);
    expect(out.warnings).toEqual(warnings);
  });

  it.each([
    ["max_completion_tokens", 1024],
    ["max_completion_tokens", 1025],
    ["max_completion_tokens", 1279],
    ["max_tokens", 1100],
    ["max_completion_tokens", 1],
  ])("%s %i leaves no room for the minimum budget plus an answer → thinking dropped, limit and sampling kept", (param, limit) => {
    const out = translate({ messages: q, reasoning_effort: "minimal", [param]: limit, temperature: 0.5 }, CLAUDE37);
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toBe(
      `reasoning_effort ignored: ${param} ${limit} leaves no room for extended thinking (1024 thinking tokens at least, plus 256 for the answer)`,
    );
    expect(out.body.additionalModelRequestFields).toBeUndefined();
    expect(out.body.inferenceConfig).toEqual({ maxTokens: limit, temperature: 0.5 });
    expect(out.warnings).toEqual([]);
  });

  it("every effort × limit: the client's limit is kept and Anthropic's bounds always hold", () => {
    const limits = [1, 1023, 1024, 1025, 1279, 1280, 1281, 2047, 2048, 2049, 4095, 4096, 5120, 8191, 8192, 8193, 12288, 16383, 16384, 16385, 20480, 64000];
    for (const effort of ["minimal", "low", "medium", "high", "xhigh"]) {
      for (const limit of limits) {
        const out = translate({ messages: q, reasoning_effort: effort, max_completion_tokens: limit }, CLAUDE37);
        const at = `${effort} × ${limit}`;
        expect(out.body.inferenceConfig!.maxTokens, at).toBe(limit);
        if (!out.thinking) {
          expect(limit, at).toBeLessThan(1280);
          expect(out.body.additionalModelRequestFields, at).toBeUndefined();
          continue;
        }
        const budget = (out.body.additionalModelRequestFields as { thinking: { budget_tokens: number } }).thinking.budget_tokens;
        expect(budget, at).toBeGreaterThanOrEqual(1024);
        expect(limit - budget, at).toBeGreaterThanOrEqual(256);
      }
    }
  });

  it.each([
    ["minimal", 1024, "low"],
    ["medium", 1000, "medium"],
    ["high", 8000, "high"],
    ["xhigh", 64000, "xhigh"],
  ])("output-effort (Opus 4.5) is not bound by the thinking rules: %s with limit %i → effort %s, limit as sent", (effort, limit, expected) => {
    const opus = model({ id: "opus", reasoning: "output-effort", structuredOutput: "native", defaultMaxTokens: 8192, maxOutputTokens: 64000 });
    const out = translate({ messages: q, reasoning_effort: effort, max_completion_tokens: limit, temperature: 0.3 }, opus);
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toBeUndefined();
    expect(out.body.outputConfig).toEqual({ effort: expected });
    expect(out.body.additionalModelRequestFields).toBeUndefined();
    expect(out.body.inferenceConfig).toEqual({ maxTokens: limit, temperature: 0.3 });
    expect(out.warnings).toEqual([]);
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
  it.each<[string, number, { maxTokens: number; clientSet: boolean }, number, { budget: number; maxTokens: number } | null]>([
    ["client limit with room to spare: unchanged", 2048, { maxTokens: 4096, clientSet: true }, 64000, { budget: 2048, maxTokens: 4096 }],
    ["client limit kept, budget shrinks to leave half for the answer", 4096, { maxTokens: 4096, clientSet: true }, 64000, { budget: 2048, maxTokens: 4096 }],
    ["client limit kept, answer room capped at 4096", 16384, { maxTokens: 10000, clientSet: true }, 64000, { budget: 5904, maxTokens: 10000 }],
    ["client limit: minimum budget and the least answer room", 1024, { maxTokens: 1280, clientSet: true }, 64000, { budget: 1024, maxTokens: 1280 }],
    ["client limit one token too small", 1024, { maxTokens: 1279, clientSet: true }, 64000, null],
    ["default already large enough", 1024, { maxTokens: 8192, clientSet: false }, 64000, { budget: 1024, maxTokens: 8192 }],
    ["default raised to budget + answer room", 4096, { maxTokens: 4096, clientSet: false }, 64000, { budget: 4096, maxTokens: 8192 }],
    ["default raise capped at the model's maximum, budget trimmed", 16384, { maxTokens: 8192, clientSet: false }, 20000, { budget: 15904, maxTokens: 20000 }],
    ["small model maximum: half kept for the answer", 16384, { maxTokens: 4096, clientSet: false }, 8192, { budget: 4096, maxTokens: 8192 }],
    ["model maximum too small for any thinking", 1024, { maxTokens: 1024, clientSet: false }, 1024, null],
  ])("%s", (_name, budget, limit, maxOut, expected) => {
    expect(fitThinkingBudget(budget, limit, m(maxOut), [])).toEqual(expected);
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
