import { describe, expect, it } from "vitest";
import { EMPTY_PARAMETERS, HISTORY_TOOL_SCHEMA } from "../../../src/translate/tools";
import { assistant, call, CLAUDE, CLAUDE37, model, PLAIN, translate, translateError, user } from "./helpers";

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ type: "function", function: { name, ...extra } });
const weather = fn("get_weather", { description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } });
const q = [user("q")];
/** A conversation that already used tool `f`. */
const history = [user("q"), assistant(null, { tool_calls: [call("c1", "f")] }), { role: "tool", tool_call_id: "c1", content: "r" }];

describe("tool definitions", () => {
  it.each([
    [
      "parameters and description pass through",
      [weather],
      [{ toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
    ],
    ["missing parameters → empty object schema", [fn("ping")], [{ toolSpec: { name: "ping", inputSchema: { json: EMPTY_PARAMETERS } } }]],
    ["empty description omitted", [fn("ping", { description: "" })], [{ toolSpec: { name: "ping", inputSchema: { json: EMPTY_PARAMETERS } } }]],
    ["strict true kept", [fn("ping", { strict: true })], [{ toolSpec: { name: "ping", inputSchema: { json: EMPTY_PARAMETERS }, strict: true } }]],
    ["strict false omitted", [fn("ping", { strict: false })], [{ toolSpec: { name: "ping", inputSchema: { json: EMPTY_PARAMETERS } } }]],
  ])("%s", (_name, tools, expected) => {
    expect(translate({ messages: q, tools }).body.toolConfig).toEqual({ tools: expected });
  });

  it.each([
    ["invalid name", [fn("ok"), fn("bad.name")], "tools[1].function.name", /\^\[a-zA-Z0-9_-\]\{1,64\}\$/],
    ["name too long", [fn("x".repeat(65))], "tools[0].function.name", /64/],
    ["duplicate name", [fn("a"), fn("b"), fn("a")], "tools[2].function.name", /Duplicate/],
  ])("%s → 400", (_name, tools, param, message) => {
    const err = translateError({ messages: q, tools });
    expect(err).toMatchObject({ status: 400, param });
    expect(err.message).toMatch(message);
  });

  it("model without tool support → 400 tools", () => {
    expect(translateError({ messages: q, tools: [weather] }, model({ tools: false }))).toMatchObject({ param: "tools" });
  });
});

describe("tool_choice", () => {
  it.each([
    ["absent → no toolChoice", undefined, undefined],
    ["auto → no toolChoice", "auto", undefined],
    ["required → any", "required", { any: {} }],
    ["named → tool", { type: "function", function: { name: "get_weather" } }, { tool: { name: "get_weather" } }],
  ])("%s", (_name, tool_choice, toolChoice) => {
    const config = translate({ messages: q, tools: [weather, fn("ping")], tool_choice }).body.toolConfig!;
    expect(config.toolChoice).toEqual(toolChoice);
    expect("toolChoice" in config).toBe(toolChoice !== undefined);
    expect(config.tools).toHaveLength(2);
  });

  it("none without tool history → no toolConfig", () => {
    expect(translate({ messages: q, tools: [weather], tool_choice: "none" }).body.toolConfig).toBeUndefined();
  });

  it("none with tool history → tools kept, no toolChoice", () => {
    expect(translate({ messages: history, tools: [fn("f")], tool_choice: "none" }).body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "f", inputSchema: { json: EMPTY_PARAMETERS } } }],
    });
  });

  it.each([
    ["unknown named tool", { messages: q, tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice"],
    ["required without tools", { messages: q, tool_choice: "required" }, "tool_choice"],
    ["named without tools", { messages: q, tool_choice: { type: "function", function: { name: "x" } } }, "tool_choice"],
  ])("%s → 400", (_name, req, param) => {
    expect(translateError(req)).toMatchObject({ status: 400, param });
  });

  it("forced choice with extended thinking falls back to auto with a warning", () => {
    const out = translate({ messages: q, tools: [weather], tool_choice: "required", reasoning_effort: "low" }, CLAUDE);
    expect(out.thinking).toBe(true);
    expect(out.body.toolConfig).toEqual({ tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: "get_weather" }) })] });
    expect(out.warnings).toContain("tool_choice forcing a tool is not allowed with extended thinking: sent as auto");
  });
});

describe("tool_choice on a model that cannot force a tool (Llama)", () => {
  const llama = model({ id: "llama", toolChoice: false });
  it.each([
    ["required", "required"],
    ["named", { type: "function", function: { name: "get_weather" } }],
  ])("%s → sent as auto, with a warning", (_name, tool_choice) => {
    const out = translate({ messages: q, tools: [weather], tool_choice }, llama);
    expect(out.body.toolConfig).toEqual({ tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: "get_weather" }) })] });
    expect(out.warnings).toEqual(["tool_choice forcing a tool is not supported by model 'llama': sent as auto"]);
  });

  it("auto → tools without a choice, no warning", () => {
    const out = translate({ messages: q, tools: [weather], tool_choice: "auto" }, llama);
    expect(out.body.toolConfig!.toolChoice).toBeUndefined();
    expect(out.warnings).toEqual([]);
  });
});

describe("tool blocks in history without tools", () => {
  it("synthesizes minimal specs for the tool names used", () => {
    const messages = [
      ...history,
      assistant(null, { tool_calls: [call("c2", "g"), call("c3", "f")] }),
      { role: "tool", tool_call_id: "c2", content: "" },
      { role: "tool", tool_call_id: "c3", content: "" },
    ];
    expect(translate({ messages }).body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "f", inputSchema: { json: HISTORY_TOOL_SCHEMA } } }, { toolSpec: { name: "g", inputSchema: { json: HISTORY_TOOL_SCHEMA } } }],
    });
  });

  it("tools in the request are used as sent, without synthesis", () => {
    expect(translate({ messages: history, tools: [weather] }).body.toolConfig!.tools).toHaveLength(1);
  });

  it("model without tools and tool history → 400 messages", () => {
    expect(translateError({ messages: history }, model({ tools: false }))).toMatchObject({ param: "messages" });
  });
});

describe("legacy functions / function_call", () => {
  const functions = [
    { name: "get_weather", parameters: { type: "object" } },
    { name: "ping", description: "" },
  ];
  it.each([
    ["absent", undefined, undefined],
    ["auto", "auto", undefined],
    ["named", { name: "ping" }, { tool: { name: "ping" } }],
  ])("function_call %s", (_name, function_call, toolChoice) => {
    expect(translate({ messages: q, functions, function_call }).body.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } },
        { toolSpec: { name: "ping", inputSchema: { json: EMPTY_PARAMETERS } } },
      ],
      ...(toolChoice ? { toolChoice } : {}),
    });
  });

  it("function_call none → no toolConfig", () => {
    expect(translate({ messages: q, functions, function_call: "none" }).body.toolConfig).toBeUndefined();
  });

  it.each([
    ["unknown named function", { messages: q, functions, function_call: { name: "zzz" } }, "function_call"],
    ["invalid function name", { messages: q, functions: [{ name: "a b" }] }, "functions[0].name"],
    ["tools and functions together", { messages: q, functions, tools: [weather] }, "functions"],
  ])("%s → 400", (_name, req, param) => {
    expect(translateError(req)).toMatchObject({ status: 400, param });
  });
});

describe("legacyFunctions: answer with function_call instead of tool_calls", () => {
  const functions = [{ name: "alpha" }];
  const legacyHistory = [user("q"), assistant(null, { function_call: { name: "alpha", arguments: "{}" } }), { role: "function", name: "alpha", content: "r" }];
  it.each([
    ["functions", { messages: q, functions }, true],
    ["function_call alone", { messages: q, function_call: "none" }, true],
    ["functions with tool_choice", { messages: q, functions, tool_choice: "auto" }, true],
    ["tools", { messages: q, tools: [weather] }, undefined],
    ["tools with a legacy history", { messages: legacyHistory, tools: [fn("alpha")] }, undefined],
    ["no tools at all", { messages: q }, undefined],
    ["legacy history, definitions dropped on the last turn", { messages: legacyHistory }, true],
    ["modern history", { messages: history }, undefined],
    ["mixed history", { messages: [...history, user("again"), ...legacyHistory.slice(1)] }, undefined],
  ])("%s → %s", (_name, req, expected) => {
    expect(translate(req).legacyFunctions).toBe(expected);
  });
});

describe("tool cache_control", () => {
  const cached = { ...weather, cache_control: { type: "ephemeral" } };
  it.each([
    [
      "caching model → cachePoint after the tool",
      CLAUDE37,
      [
        { toolSpec: expect.objectContaining({ name: "get_weather" }) },
        { cachePoint: { type: "default" } },
        { toolSpec: expect.objectContaining({ name: "ping" }) },
      ],
    ],
    [
      "non-caching model → dropped",
      PLAIN,
      [{ toolSpec: expect.objectContaining({ name: "get_weather" }) }, { toolSpec: expect.objectContaining({ name: "ping" }) }],
    ],
  ])("%s", (_name, m, tools) => {
    expect(translate({ messages: q, tools: [cached, fn("ping")] }, m).body.toolConfig!.tools).toEqual(tools);
  });
});
