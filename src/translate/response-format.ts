/**
 * `response_format` → native structured output (`outputConfig.textFormat`), a forced JSON tool, or a system
 * instruction, depending on the model. OpenAI's `json_object` mode guarantees one valid JSON object and
 * `json_schema` an object matching the schema (OpenAI API reference, Chat Completions `response_format`).
 */
import type { OutputConfig, ToolSpecification } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import type { ResponseFormat } from "./openai-types";
import { toToolName } from "./tool-ids";

export const DEFAULT_JSON_TOOL_NAME = "json_response";

/** Sent when the format cannot be enforced (and, for `json_schema`, followed by the schema). */
export const JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.";

/**
 * The input schema of the `json_object` tool: any object. Native structured output cannot express it (Anthropic's
 * structured outputs require closed objects, `additionalProperties: false`), so `json_object` always takes the tool path.
 */
export const OPEN_OBJECT_SCHEMA = { type: "object" };

export type ResponseFormatPlan = {
  textFormat?: NonNullable<OutputConfig["textFormat"]>;
  /** Forced tool whose input is the answer. */
  jsonTool?: ToolSpecification;
  /** Appended as the last system block. */
  systemText?: string;
};

export type ResponseFormatContext = {
  /** The client's tool names: the JSON tool must not collide with them. */
  toolNames: Set<string>;
  /** The client's choice forces one of its own tools (`required` or a named tool): the answer is a tool call, not JSON content. */
  forcesClientTool: boolean;
  /** Extended thinking is on for this request. */
  thinking: boolean;
  warnings: string[];
};

/** Plans structured output for `model`; pushes a warning when the format can only be asked for, not enforced. */
export function planResponseFormat(rf: ResponseFormat | null | undefined, model: ModelEntry, o: ResponseFormatContext): ResponseFormatPlan {
  if (!rf || rf.type === "text") return {};
  if (rf.type === "json_object") {
    const why = toolPathUnavailable(model, o.thinking);
    if (why) return instructed("json_object", JSON_OBJECT_INSTRUCTION, why, o.warnings);
    if (o.forcesClientTool) return {};
    return {
      jsonTool: {
        name: uniqueName(DEFAULT_JSON_TOOL_NAME, o.toolNames),
        description: "Give the final answer as this tool's input: one JSON object.",
        inputSchema: { json: OPEN_OBJECT_SCHEMA },
      },
    };
  }
  const { name, description, schema } = rf.json_schema;
  const json = schema ?? { type: "object" };
  // Native structured output accepts only closed objects (`additionalProperties: false` at every depth); an open
  // schema is still honoured, through the forced-tool path, instead of failing at Bedrock.
  if (model.structuredOutput === "native" && isClosedSchema(json)) {
    const jsonSchema: { schema: string; name?: string; description?: string } = { schema: JSON.stringify(json), name };
    if (description) jsonSchema.description = description;
    return { textFormat: { type: "json_schema", structure: { jsonSchema } } };
  }
  // With thinking the JSON tool is still offered (tools.ts sends the choice as auto): a schema-shaped tool input is
  // the closest the model can come to the schema.
  const why = toolPathUnavailable(model, false);
  if (why) return instructed("json_schema", `${JSON_OBJECT_INSTRUCTION} It must conform to this JSON schema:\n${JSON.stringify(json)}`, why, o.warnings);
  if (o.forcesClientTool) return {};
  return {
    jsonTool: {
      name: uniqueName(toToolName(name, DEFAULT_JSON_TOOL_NAME), o.toolNames),
      description: description || "Give the final answer as this tool's input, a JSON object matching the schema.",
      inputSchema: { json },
    },
  };
}

/**
 * Why a forced JSON tool cannot be used, if it cannot. Anthropic: with extended thinking, tool_choice may only be
 * auto or none; "any" and a named tool force tool use and are rejected
 * (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#extended-thinking-with-tool-use).
 */
function toolPathUnavailable(model: ModelEntry, thinking: boolean): string | undefined {
  if (!model.tools) return `model '${model.id}' has no tool use`;
  if (!model.toolChoice) return `model '${model.id}' cannot be made to call a tool`;
  if (thinking) return "extended thinking cannot be combined with the forced tool that enforces it";
  return undefined;
}

function instructed(type: string, systemText: string, why: string, warnings: string[]): ResponseFormatPlan {
  warnings.push(`response_format ${type} is asked for by instruction only, not enforced: ${why}`);
  return { systemText };
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base.slice(0, 60)}_${k}`;
  return name;
}

/** True when every object in the schema sets `additionalProperties: false` (what native structured output requires). */
export function isClosedSchema(s: unknown): boolean {
  if (Array.isArray(s)) return s.every(isClosedSchema);
  if (!s || typeof s !== "object") return true;
  const o = s as Record<string, unknown>;
  const isObject = o.type === "object" || (Array.isArray(o.type) && o.type.includes("object")) || (!!o.properties && typeof o.properties === "object");
  if (isObject && o.additionalProperties !== false) return false;
  const maps = [o.properties, o.$defs, o.definitions].flatMap((m) => (m && typeof m === "object" ? Object.values(m) : []));
  return [o.items, o.anyOf, o.oneOf, o.allOf, o.prefixItems, ...maps].every(isClosedSchema);
}
