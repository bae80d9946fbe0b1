/**
 * `response_format` → native structured output (`outputConfig.textFormat`), a forced JSON tool, or a system
 * instruction, depending on the model (MAPPING b.1).
 */
import type { OutputConfig, ToolSpecification } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import type { ResponseFormat } from "./openai-types";
import { toToolName } from "./tool-ids";

export const DEFAULT_JSON_TOOL_NAME = "json_response";

/**
 * `json_object` has no native switch in Converse. It becomes a system instruction for every model, including
 * those with native structured output: a permissive `{"type":"object"}` schema is not accepted there (Anthropic's
 * structured outputs require closed objects, `additionalProperties: false`).
 */
export const JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.";

export type ResponseFormatPlan = {
  textFormat?: NonNullable<OutputConfig["textFormat"]>;
  /** Forced tool whose input is the answer (models without native structured output). */
  jsonTool?: ToolSpecification;
  /** Appended as the last system block. */
  systemText?: string;
};

/** Plans structured output; `toolNames` are the client's tool names (the JSON tool must not collide with them). */
export function planResponseFormat(rf: ResponseFormat | null | undefined, model: ModelEntry, toolNames: Set<string>): ResponseFormatPlan {
  if (!rf || rf.type === "text") return {};
  if (rf.type === "json_object") return { systemText: JSON_OBJECT_INSTRUCTION };
  const { name, description, schema } = rf.json_schema;
  const json = schema ?? { type: "object" };
  // Native structured output accepts only closed objects (`additionalProperties: false` at every depth); an open
  // schema is still honoured, through the forced-tool path, instead of failing at Bedrock.
  if (model.structuredOutput === "native" && isClosedSchema(json)) {
    const jsonSchema: { schema: string; name?: string; description?: string } = { schema: JSON.stringify(json), name };
    if (description) jsonSchema.description = description;
    return { textFormat: { type: "json_schema", structure: { jsonSchema } } };
  }
  if (!model.tools) {
    // Neither native output nor tools: the best left is to ask, with the schema spelled out.
    return { systemText: `${JSON_OBJECT_INSTRUCTION} It must conform to this JSON schema:\n${JSON.stringify(json)}` };
  }
  const base = toToolName(name, DEFAULT_JSON_TOOL_NAME);
  let toolName = base;
  for (let k = 2; toolNames.has(toolName); k++) toolName = `${base.slice(0, 60)}_${k}`;
  return {
    jsonTool: {
      name: toolName,
      description: description || "Give the final answer as this tool's input, a JSON object matching the schema.",
      inputSchema: { json },
    },
  };
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
