import { describe, expect, it } from "vitest";
import { CLAUDE, PLAIN, translate, translateError } from "./helpers";

const q = [{ role: "user", content: "q" }];

describe("max tokens", () => {
  it.each([
    ["absent → catalogue default", {}, 1000],
    ["max_tokens", { max_tokens: 50 }, 50],
    ["max_completion_tokens", { max_completion_tokens: 70 }, 70],
    ["max_completion_tokens preferred", { max_tokens: 50, max_completion_tokens: 70 }, 70],
    ["exactly the model maximum", { max_tokens: 4000 }, 4000],
    ["null means absent", { max_tokens: null }, 1000],
  ])("%s", (_name, extra, maxTokens) => {
    expect(translate({ messages: q, ...extra }).body.inferenceConfig).toEqual({ maxTokens });
  });

  it.each([
    ["max_tokens", { max_tokens: 4001 }],
    ["max_completion_tokens", { max_tokens: 10, max_completion_tokens: 4001 }],
  ])("above the model maximum → 400 naming %s", (param, extra) => {
    const err = translateError({ messages: q, ...extra });
    expect(err).toMatchObject({ status: 400, param });
    expect(err.message).toMatch(/at most 4000/);
  });
});

describe("unsupported fields", () => {
  it.each([
    ["n", { n: 2 }],
    ["logprobs", { logprobs: true }],
    ["top_logprobs", { top_logprobs: 3 }],
  ])("%s → 400", (param, extra) => {
    expect(translateError({ messages: q, ...extra })).toMatchObject({ status: 400, param, code: null });
  });

  it.each([
    ["n 1", { n: 1 }],
    ["logprobs false", { logprobs: false }],
    ["top_logprobs 0", { top_logprobs: 0 }],
    [
      "ignored fields",
      {
        seed: 1,
        user: "u",
        metadata: { a: "b" },
        store: true,
        frequency_penalty: 1,
        presence_penalty: -1,
        logit_bias: { "1": 2 },
        parallel_tool_calls: false,
        service_tier: "auto",
      },
    ],
  ])("%s is fine", (_name, extra) => {
    expect(translate({ messages: q, ...extra }).body.inferenceConfig).toEqual({ maxTokens: 1000 });
  });
});

describe("temperature and top_p", () => {
  it.each([
    ["temperature passes", { temperature: 0.7 }, "reject", { maxTokens: 1000, temperature: 0.7 }, []],
    ["temperature 0 passes", { temperature: 0 }, "reject", { maxTokens: 1000, temperature: 0 }, []],
    ["temperature 1 passes", { temperature: 1 }, "reject", { maxTokens: 1000, temperature: 1 }, []],
    ["clamped above 1", { temperature: 1.5 }, "clamp", { maxTokens: 1000, temperature: 1 }, ["temperature clamped from 1.5 to 1"]],
    ["top_p passes", { top_p: 0.9 }, "reject", { maxTokens: 1000, topP: 0.9 }, []],
    ["both pass without conflict flag", { temperature: 0.5, top_p: 0.9 }, "reject", { maxTokens: 1000, temperature: 0.5, topP: 0.9 }, []],
  ] as const)("%s", (_name, extra, mode, config, warnings) => {
    const out = translate({ messages: q, ...extra }, PLAIN, { temperatureAboveOne: mode });
    expect(out.body.inferenceConfig).toEqual(config);
    expect(out.warnings).toEqual(warnings);
  });

  it("above 1 with reject → 400 temperature", () => {
    expect(translateError({ messages: q, temperature: 1.2 })).toMatchObject({ status: 400, param: "temperature" });
  });

  it.each([
    [
      "temperature and top_p on a conflict model → top_p dropped",
      { temperature: 0.5, top_p: 0.9 },
      { maxTokens: 8192, temperature: 0.5 },
      ["top_p dropped: model 'claude' does not accept temperature and top_p together"],
    ],
    ["top_p alone kept", { top_p: 0.9 }, { maxTokens: 8192, topP: 0.9 }, []],
  ])("%s", (_name, extra, config, warnings) => {
    const out = translate({ messages: q, ...extra }, CLAUDE);
    expect(out.body.inferenceConfig).toEqual(config);
    expect(out.warnings).toEqual(warnings);
  });
});

describe("stop", () => {
  it.each([
    ["string", "END", ["END"]],
    ["array", ["a", "b"], ["a", "b"]],
    ["empties dropped", ["", "x", ""], ["x"]],
    ["only empties → omitted", [""], undefined],
    ["empty string → omitted", "", undefined],
    ["four allowed", ["1", "2", "3", "4"], ["1", "2", "3", "4"]],
  ])("%s", (_name, stop, stopSequences) => {
    expect(translate({ messages: q, stop }).body.inferenceConfig).toEqual(stopSequences ? { maxTokens: 1000, stopSequences } : { maxTokens: 1000 });
  });

  it.each<[string, unknown, string[] | undefined, string[]]>([
    [
      "newline dropped",
      ["\n", "END"],
      ["END"],
      ["1 whitespace-only stop sequence(s) dropped: model 'claude' accepts only stop sequences with visible characters"],
    ],
    [
      "only whitespace → omitted",
      ["\n\n", " "],
      undefined,
      ["2 whitespace-only stop sequence(s) dropped: model 'claude' accepts only stop sequences with visible characters"],
    ],
    ["surrounding whitespace kept", ["\nHuman:"], ["\nHuman:"], []],
    ["empty strings dropped without a warning", ["", "x"], ["x"], []],
  ])("strictWhitespace model (Claude): %s", (_name, stop, stopSequences, warnings) => {
    const out = translate({ messages: q, stop }, CLAUDE);
    expect(out.body.inferenceConfig!.stopSequences).toEqual(stopSequences);
    expect(out.warnings).toEqual(warnings);
  });

  it("other models keep whitespace-only stop sequences", () => {
    const out = translate({ messages: q, stop: ["\n"] }, PLAIN);
    expect(out.body.inferenceConfig!.stopSequences).toEqual(["\n"]);
    expect(out.warnings).toEqual([]);
  });

  it("more than four → 400 stop", () => {
    expect(translateError({ messages: q, stop: ["1", "2", "3", "4", "5"] })).toMatchObject({ status: 400, param: "stop" });
  });
});
