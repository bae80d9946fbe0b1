import { describe, expect, it } from "vitest";
import { DEFAULT_JSON_TOOL_NAME, isClosedSchema, JSON_OBJECT_INSTRUCTION, OPEN_OBJECT_SCHEMA } from "../../../src/translate/response-format";
import { CLAUDE, CLAUDE37, model, PLAIN, translate } from "./helpers";

const q = [
  { role: "system", content: "sys" },
  { role: "user", content: "q" },
];
const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false };
const jsonSchema = (extra: Record<string, unknown> = {}) => ({ type: "json_schema", json_schema: { name: "person", schema, ...extra } });

describe("response_format", () => {
  it.each([[undefined], [{ type: "text" }]])("%j → no change", (response_format) => {
    const out = translate({ messages: q, response_format }, CLAUDE);
    expect(out.body.system).toEqual([{ text: "sys" }]);
    expect(out.body.outputConfig).toBeUndefined();
    expect(out.jsonToolName).toBeUndefined();
  });

  const jsonObjectTool = {
    toolSpec: {
      name: DEFAULT_JSON_TOOL_NAME,
      description: "Give the final answer as this tool's input: one JSON object.",
      inputSchema: { json: OPEN_OBJECT_SCHEMA },
    },
  };

  it.each([
    ["native-output model (an open object cannot be a native schema)", CLAUDE],
    ["Claude 3.7", CLAUDE37],
    ["tool model", PLAIN],
  ])("json_object → a forced tool with an open object schema (%s)", (_name, m) => {
    const out = translate({ messages: q, response_format: { type: "json_object" } }, m);
    expect(out.body.system).toEqual([{ text: "sys" }]);
    expect(out.body.outputConfig).toBeUndefined();
    expect(out.body.toolConfig).toEqual({ tools: [jsonObjectTool], toolChoice: { tool: { name: DEFAULT_JSON_TOOL_NAME } } });
    expect(out.jsonToolName).toBe(DEFAULT_JSON_TOOL_NAME);
    expect(out.warnings).toEqual([]);
  });

  it.each([
    ["no tool use", model({ id: "no-tools", tools: false }), "model 'no-tools' has no tool use"],
    ["no tool choice (Llama)", model({ id: "llama", toolChoice: false }), "model 'llama' cannot be made to call a tool"],
  ])("json_object on a model with %s → the system instruction, with a warning", (_name, m, why) => {
    const out = translate({ messages: q, response_format: { type: "json_object" } }, m);
    expect(out.body.system).toEqual([{ text: "sys" }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(out.body.toolConfig).toBeUndefined();
    expect(out.jsonToolName).toBeUndefined();
    expect(out.warnings).toEqual([`response_format json_object is asked for by instruction only, not enforced: ${why}`]);
  });

  it("json_object with extended thinking → the instruction (a forced tool is not allowed with thinking), with a warning", () => {
    const out = translate({ messages: q, response_format: { type: "json_object" }, reasoning_effort: "low" }, CLAUDE37);
    expect(out.thinking).toBe(true);
    expect(out.body.system).toEqual([{ text: "sys" }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(out.body.toolConfig).toBeUndefined();
    expect(out.jsonToolName).toBeUndefined();
    expect(out.warnings).toEqual([
      "response_format json_object is asked for by instruction only, not enforced: extended thinking cannot be combined with the forced tool that enforces it",
    ]);
  });

  it("json_object with thinking dropped (prefill) → enforced with the forced tool after all", () => {
    const out = translate(
      { messages: [...q, { role: "assistant", content: "{" }], response_format: { type: "json_object" }, reasoning_effort: "low" },
      CLAUDE37,
    );
    expect(out.thinking).toBe(false);
    expect(out.body.toolConfig?.toolChoice).toEqual({ tool: { name: DEFAULT_JSON_TOOL_NAME } });
  });

  const lookup = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }];
  const names = (out: ReturnType<typeof translate>) => out.body.toolConfig!.tools.map((t) => ("toolSpec" in t ? t.toolSpec.name : "cachePoint"));

  it.each<[string, Record<string, unknown>, string[], unknown, string | undefined]>([
    ["client tools, auto: call one of them or answer through the JSON tool", {}, ["lookup", DEFAULT_JSON_TOOL_NAME], { any: {} }, DEFAULT_JSON_TOOL_NAME],
    [
      "client tools, tool_choice none: only the JSON tool, forced",
      { tool_choice: "none" },
      [DEFAULT_JSON_TOOL_NAME],
      { tool: { name: DEFAULT_JSON_TOOL_NAME } },
      DEFAULT_JSON_TOOL_NAME,
    ],
    ["tool_choice required: the answer is a tool call, no JSON tool", { tool_choice: "required" }, ["lookup"], { any: {} }, undefined],
    [
      "named tool_choice: that tool, no JSON tool",
      { tool_choice: { type: "function", function: { name: "lookup" } } },
      ["lookup"],
      { tool: { name: "lookup" } },
      undefined,
    ],
  ])("json_object with %s", (_name, extra, toolNames, toolChoice, jsonToolName) => {
    const out = translate({ messages: q, tools: lookup, response_format: { type: "json_object" }, ...extra }, PLAIN);
    expect(names(out)).toEqual(toolNames);
    expect(out.body.toolConfig!.toolChoice).toEqual(toolChoice);
    expect(out.jsonToolName).toBe(jsonToolName);
    expect(out.body.system).toEqual([{ text: "sys" }]);
  });

  it("json_object tool name does not clash with a client tool of the same name", () => {
    const out = translate(
      { messages: q, tools: [{ type: "function", function: { name: DEFAULT_JSON_TOOL_NAME } }], response_format: { type: "json_object" } },
      PLAIN,
    );
    expect(out.jsonToolName).toBe(`${DEFAULT_JSON_TOOL_NAME}_2`);
    expect(names(out)).toEqual([DEFAULT_JSON_TOOL_NAME, `${DEFAULT_JSON_TOOL_NAME}_2`]);
  });

  it("json_object with client tools and extended thinking → tools sent with auto, the instruction for the answer", () => {
    const out = translate({ messages: q, tools: lookup, tool_choice: "required", response_format: { type: "json_object" }, reasoning_effort: "low" }, CLAUDE37);
    expect(names(out)).toEqual(["lookup"]);
    expect(out.body.toolConfig!.toolChoice).toBeUndefined();
    expect(out.body.system).toEqual([{ text: "sys" }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(out.warnings).toEqual([
      "response_format json_object is asked for by instruction only, not enforced: extended thinking cannot be combined with the forced tool that enforces it",
      "tool_choice forcing a tool is not allowed with extended thinking: sent as auto",
    ]);
  });

  it("json_schema on a native model → outputConfig.textFormat with the schema as a JSON string", () => {
    const out = translate({ messages: q, response_format: jsonSchema({ description: "A person", strict: true }) }, CLAUDE);
    expect(out.body.outputConfig).toEqual({
      textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema), name: "person", description: "A person" } } },
    });
    expect(out.jsonToolName).toBeUndefined();
    expect(out.body.toolConfig).toBeUndefined();
  });

  it("json_schema with an open object on a native model → the forced-tool path (native output needs closed objects)", () => {
    const open = { type: "object", properties: { tags: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } } } };
    const out = translate({ messages: q, response_format: { type: "json_schema", json_schema: { name: "tagged", schema: open } } }, CLAUDE);
    expect(out.body.outputConfig).toBeUndefined();
    expect(out.jsonToolName).toBe("tagged");
    expect(out.body.toolConfig?.toolChoice).toEqual({ tool: { name: "tagged" } });
  });

  it.each([
    [{ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }, true],
    [{ type: "object", properties: { a: { type: "string" } } }, false],
    [{ type: "object", additionalProperties: false, properties: { a: { type: "object", properties: {} } } }, false],
    [{ type: "object", additionalProperties: false, properties: { a: { type: "array", items: { type: "object", additionalProperties: false } } } }, true],
    [{ type: "object", additionalProperties: false, $defs: { x: { type: "object" } } }, false],
    [{ anyOf: [{ type: "string" }, { type: "object", additionalProperties: false }] }, true],
    [{ type: "string" }, true],
  ])("isClosedSchema(%j) = %s", (schemaIn, closed) => expect(isClosedSchema(schemaIn)).toBe(closed));

  it("json_schema with native output and effort together", () => {
    const m = model({ reasoning: "output-effort", structuredOutput: "native" });
    const out = translate({ messages: q, response_format: jsonSchema(), reasoning_effort: "high" }, m);
    expect(out.body.outputConfig).toEqual({
      textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema), name: "person" } } },
      effort: "high",
    });
  });

  it("json_schema on a tool model → forced tool named after the schema", () => {
    const out = translate({ messages: q, response_format: jsonSchema() }, PLAIN);
    expect(out.jsonToolName).toBe("person");
    expect(out.body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "person",
            description: "Give the final answer as this tool's input, a JSON object matching the schema.",
            inputSchema: { json: schema },
          },
        },
      ],
      toolChoice: { tool: { name: "person" } },
    });
  });

  it.each([
    ["invalid characters sanitized", "my schema.v1", "my_schema_v1"],
    ["nothing usable → default", "***", DEFAULT_JSON_TOOL_NAME],
  ])("tool name: %s", (_name, name, expected) => {
    expect(translate({ messages: q, response_format: { type: "json_schema", json_schema: { name } } }, PLAIN).jsonToolName).toBe(expected);
  });

  it("missing schema → permissive object schema", () => {
    const out = translate({ messages: q, response_format: { type: "json_schema", json_schema: { name: "x" } } }, PLAIN);
    expect(out.body.toolConfig!.tools[0]).toMatchObject({ toolSpec: { inputSchema: { json: { type: "object" } } } });
  });

  it("with the client's tools: JSON tool added, toolChoice any, no name clash", () => {
    const tools = [{ type: "function", function: { name: "person" } }];
    const out = translate({ messages: q, tools, response_format: jsonSchema() }, PLAIN);
    expect(out.jsonToolName).toBe("person_2");
    expect(out.body.toolConfig!.tools.map((t) => ("toolSpec" in t ? t.toolSpec.name : "cachePoint"))).toEqual(["person", "person_2"]);
    expect(out.body.toolConfig!.toolChoice).toEqual({ any: {} });
  });

  it("with the client's tools and tool_choice none: only the JSON tool, forced", () => {
    const tools = [{ type: "function", function: { name: "lookup" } }];
    const out = translate({ messages: q, tools, tool_choice: "none", response_format: jsonSchema() }, PLAIN);
    expect(out.body.toolConfig).toEqual({
      tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: "person" }) })],
      toolChoice: { tool: { name: "person" } },
    });
  });

  it.each([
    ["without tools", model({ tools: false }), "model 'test-model' has no tool use"],
    ["without tool choice", model({ toolChoice: false }), "model 'test-model' cannot be made to call a tool"],
  ])("json_schema on a model %s or native output → system instruction with the schema, with a warning", (_name, m, why) => {
    const out = translate({ messages: q, response_format: jsonSchema() }, m);
    expect(out.body.system).toEqual([{ text: "sys" }, { text: `${JSON_OBJECT_INSTRUCTION} It must conform to this JSON schema:\n${JSON.stringify(schema)}` }]);
    expect(out.body.toolConfig).toBeUndefined();
    expect(out.jsonToolName).toBeUndefined();
    expect(out.warnings).toEqual([`response_format json_schema is asked for by instruction only, not enforced: ${why}`]);
  });

  it("json_schema with tool_choice required on a tool model → no JSON tool: the answer is one of the client's tool calls", () => {
    const tools = [{ type: "function", function: { name: "lookup" } }];
    const out = translate({ messages: q, tools, tool_choice: "required", response_format: jsonSchema() }, PLAIN);
    expect(out.jsonToolName).toBeUndefined();
    expect(out.body.toolConfig).toEqual({
      tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: "lookup" }) })],
      toolChoice: { any: {} },
    });
  });

  it("tool emulation with extended thinking: tool offered, not forced, with a warning", () => {
    const out = translate({ messages: q, response_format: jsonSchema(), reasoning_effort: "low" }, CLAUDE37);
    expect(out.jsonToolName).toBe("person");
    expect(out.body.toolConfig!.toolChoice).toBeUndefined();
    expect(out.warnings).toContain("tool_choice forcing a tool is not allowed with extended thinking: sent as auto");
  });
});
