import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, prepareJson, replaceLoneSurrogates, toParamPath } from "../../../src/http/json-body";

const nestedArrays = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe("prepareJson depth", () => {
  it.each([
    ["a scalar body", 7, 64, null],
    ["an empty object", {}, 64, null],
    ["64 levels", nestedArrays(64), 64, null],
    ["65 levels", nestedArrays(65), 64, "[0]".repeat(64)],
    ["a body 2 deep with max 1", { a: { b: 1 } }, 1, "a"],
    ["the first too-deep branch", { ok: [1, 2], tools: [{ function: { parameters: { x: [[[1]]] } } }] }, 6, "tools[0].function.parameters.x[0]"],
    ["siblings after a deep branch are walked", { a: [[1]], b: { c: { d: {} } } }, 3, "b.c.d"],
  ])("%s", (_name, body, max, expected) => {
    const { tooDeepAt } = prepareJson(body, max);
    expect(tooDeepAt === null ? null : toParamPath(tooDeepAt)).toBe(expected);
  });

  it("walks 100,000 levels without recursion", () => {
    const body = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(prepareJson(body).tooDeepAt).toHaveLength(MAX_JSON_DEPTH);
    expect(prepareJson(body, 200_000).tooDeepAt).toBeNull();
  });
});

describe("prepareJson surrogates", () => {
  it.each([
    ["a lone high surrogate in a value", { content: "hi \ud800!" }, { content: "hi \uFFFD!" }],
    ["a lone low surrogate in an array", ["\udc00", "ok"], ["\uFFFD", "ok"]],
    ["a pair is kept", { content: "😀" }, { content: "😀" }],
    ["a key", { "k\ud800": 1 }, { "k\uFFFD": 1 }],
    ["deep inside messages", { messages: [{ content: [{ text: "\udbff" }] }] }, { messages: [{ content: [{ text: "\uFFFD" }] }] }],
    ["a top-level string", "\ud800", "\uFFFD"],
  ])("%s", (_name, body, expected) => expect(prepareJson(body).value).toEqual(expected));

  it("sets a __proto__ key as data, not as the prototype", () => {
    const body = JSON.parse('{"__proto__":"\\ud800"}');
    const { value } = prepareJson(body);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toBe("\uFFFD");
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it.each([
    ["plain", "plain"],
    ["\ud83d\ude00", "\ud83d\ude00"],
    ["\ude00\ud83d", "\uFFFD\uFFFD"],
    ["a\ud800b\udc00c", "a\uFFFDb\uFFFDc"],
  ])("replaceLoneSurrogates(%j)", (input, expected) => expect(replaceLoneSurrogates(input)).toBe(expected));
});
