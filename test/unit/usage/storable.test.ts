import { describe, expect, it } from "vitest";
import { MAX_STORED_STRING_LENGTH, storableRecord, storableString } from "../../../src/usage/storable";

describe("storableString", () => {
  it.each([
    ["plain", "plain"],
    ["a\u0000b", "a\uFFFDb"],
    ["\u0000\u0000", "\uFFFD\uFFFD"],
    ["lone high \ud800", "lone high \uFFFD"],
    ["lone low \udc00 here", "lone low \uFFFD here"],
    ["reversed \udc00\ud800", "reversed \uFFFD\uFFFD"],
    ["pair 😀 kept", "pair 😀 kept"],
    ["two highs \ud83d\ud83d\ude00", "two highs \uFFFD😀"],
    ["", ""],
  ])("%j → %j", (input, expected) => expect(storableString(input)).toBe(expected));

  it.each([
    ["x".repeat(600), 512, "x".repeat(512)],
    [`${"x".repeat(511)}😀`, 512, "x".repeat(511)],
    [`${"x".repeat(510)}😀`, 512, `${"x".repeat(510)}😀`],
    ["abcdef", 3, "abc"],
  ])("bounds %#: to %i code units without splitting a surrogate pair", (input, max, expected) => {
    const out = storableString(input, max);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(max);
  });

  it("bounds to MAX_STORED_STRING_LENGTH by default", () => expect(storableString("y".repeat(5000))).toHaveLength(MAX_STORED_STRING_LENGTH));
});

describe("storableRecord", () => {
  it("sanitises every string value, whatever its key, and keeps the others", () => {
    const input = { model: "a\u0000b", some_new_column: "\udfff", n: 3, nothing: null, flag: true, at: undefined };
    expect(storableRecord(input)).toEqual({ model: "a\uFFFDb", some_new_column: "\uFFFD", n: 3, nothing: null, flag: true, at: undefined });
    expect(input.model).toBe("a\u0000b");
  });

  it("reaches the strings and keys of nested objects and arrays (jsonb columns), and keeps dates", () => {
    const at = new Date(0);
    const input = { price: { "in\u0000": 1, note: "x\ud800" }, list: ["\u0000", 2, { deep: "\udc00" }], at };
    expect(storableRecord(input)).toEqual({ price: { "in\uFFFD": 1, note: "x\uFFFD" }, list: ["\uFFFD", 2, { deep: "\uFFFD" }], at });
  });

  it("returns a record with nothing to change itself, nested objects and arrays included", () => {
    const input = { a: "plain", n: 1, price: { input: 3, note: "ok 😀" }, list: ["x", 2, { deep: "y" }], at: new Date(0) };
    expect(storableRecord(input)).toBe(input);
  });

  it.each([
    ["a first value", { a: "\u0000", b: "x", c: { d: 1 } }, { a: "\uFFFD", b: "x", c: { d: 1 } }],
    ["a last value", { a: "x", b: 2, c: "\ud800" }, { a: "x", b: 2, c: "\uFFFD" }],
    ["a nested key", { a: 1, price: { x: 1, "k\u0000": 2, z: 3 }, b: "y" }, { a: 1, price: { x: 1, "k\uFFFD": 2, z: 3 }, b: "y" }],
    ["an array's middle element", { list: [1, "a", "\u0000", "b", 5] }, { list: [1, "a", "\uFFFD", "b", 5] }],
    ["an over-long string", { a: 1, s: "z".repeat(600), t: true }, { a: 1, s: "z".repeat(512), t: true }],
  ])("copies, never changes in place, a record with %s to change: same keys in the same order", (_name, input, expected) => {
    const before = structuredClone(input);
    const out = storableRecord(input as Record<string, unknown>);
    expect(out).not.toBe(input);
    expect(out).toEqual(expected);
    expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
    expect(input).toEqual(before);
  });

  it("keeps the untouched parts of a copied record as they were", () => {
    const price = { input: 3 };
    const out = storableRecord({ model: "a\u0000", price });
    expect(out.price).toBe(price);
  });
});
