import { describe, expect, it } from "vitest";
import { createLogger, formatLogLine } from "../../src/logger";

// What every line has always been: the merged object, Errors as name, message and stack.
function reference(level: string, time: string, msg: string, fields?: Record<string, unknown>): string {
  return JSON.stringify({ level, time, msg, ...fields }, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v));
}

const err = new TypeError("boom");
const withToJson = { toJSON: () => err };
const deep = { a: { b: { c: { d: { e: { f: { g: err } } } } } } };
class Holder {
  own = 1;
  toJSON() {
    return { replaced: true };
  }
}

describe("formatLogLine", () => {
  it.each<[string, Record<string, unknown> | undefined]>([
    ["no fields", undefined],
    ["empty fields", {}],
    ["an audit line's flat fields", { requestId: "req_1", status: "ok", httpStatus: 200, team: null, ms: 17, estimated: false }],
    ["undefined values, left out", { keyId: undefined, user: "u@example.com", ttftMs: undefined }],
    ["strings that need escapes", { msg2: 'quote " and \\ and \n and \u0000 and \ud800', 'odd key"': 1 }],
    ["nested objects, arrays and dates", { usage: { tokens: [1, 2, { x: null }], at: new Date(0) }, list: [undefined, () => 1] }],
    ["an Error at the top", { error: err }],
    ["an Error nested in an array", { errors: [1, { cause: err }] }],
    ["an Error deeper than the plain walk looks", deep],
    ["a value whose toJSON returns an Error", { v: withToJson }],
    ["fields with their own toJSON", new Holder() as unknown as Record<string, unknown>],
    ["a field named level, time or msg", { level: "x", time: undefined, msg: "over" }],
    ["array-index keys, which an object lists first", { b: 1, 2: "two", 10: "ten" }],
    ["fields that are an array", ["a", "b"] as unknown as Record<string, unknown>],
    ["an inherited field, left out", Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true } })],
    ["a non-enumerable field, left out", Object.defineProperty({ shown: 1 }, "hidden", { value: 2 })],
  ])("%s: the same text as the merged object", (_name, fields) => {
    expect(formatLogLine("info", "2026-12-04T21:41:34.354Z", 'a "msg"', fields)).toBe(reference("info", "2026-12-04T21:41:34.354Z", 'a "msg"', fields));
  });

  it("writes an Error's name, message and stack", () => {
    const line = JSON.parse(formatLogLine("error", "t", "failed", { error: err }));
    expect(line.error).toEqual({ name: "TypeError", message: "boom", stack: err.stack });
  });

  it("throws on a cycle, as JSON.stringify does", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => formatLogLine("info", "t", "m", cyclic)).toThrow(TypeError);
  });
});

describe("createLogger", () => {
  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["error", ["error"]],
    ["silent", []],
  ] as const)("at %s writes %j", (level, expected) => {
    const lines: string[] = [];
    const log = createLogger(level, (l) => lines.push(l));
    log.debug("d", { n: 1 });
    log.info("i", { n: 1 });
    log.warn("w", { n: 1 });
    log.error("e", { n: 1 });
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(expected);
    for (const l of lines) expect(Object.keys(JSON.parse(l))).toEqual(["level", "time", "msg", "n"]);
  });
});
