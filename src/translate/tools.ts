/**
 * `tools` / `tool_choice` (and legacy `functions` / `function_call`) → Converse `toolConfig`: each function a
 * `toolSpec` with its parameters as `inputSchema.json`, and the choice as Bedrock's `auto` / `any` / `tool`.
 */
import type { Tool, ToolChoice, ToolConfiguration, ToolSpecification } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import { GatewayError } from "../errors";
import { appendCachePoint } from "./cache-points";
import type { ChatCompletionRequest, FunctionDefinition } from "./openai-types";
import { TOOL_NAME } from "./tool-ids";

/** OpenAI: omitting `parameters` means a function without parameters. Bedrock requires an object schema. */
export const EMPTY_PARAMETERS = { type: "object", properties: {} };
/** Schema for tools synthesized from history: the gateway does not know their parameters. */
export const HISTORY_TOOL_SCHEMA = { type: "object" };

type Choice = "auto" | "none" | "required" | { name: string } | undefined;

export type ToolRequest = {
  /** The client's tools as toolSpecs, with cache points after tools marked `cache_control`. */
  tools: Tool[];
  names: Set<string>;
  choice: Choice;
  /** The field the choice came from, for error params. */
  choiceParam: "tool_choice" | "function_call";
};

/** Validates and converts the client's tool definitions and choice. */
export function readTools(req: ChatCompletionRequest, model: ModelEntry): ToolRequest {
  if (req.tools?.length && req.functions?.length) {
    throw GatewayError.invalidRequest("functions", "Send either tools or the deprecated functions, not both.");
  }
  const legacy = !req.tools?.length && !!req.functions?.length;
  const defs: { fn: FunctionDefinition; param: string }[] = legacy
    ? req.functions!.map((fn, i) => ({ fn, param: `functions[${i}].name` }))
    : (req.tools ?? []).map((t, i) => ({ fn: t.function, param: `tools[${i}].function.name` }));

  const tools: Tool[] = [];
  const names = new Set<string>();
  defs.forEach(({ fn, param }, i) => {
    if (!TOOL_NAME.test(fn.name)) throw GatewayError.invalidRequest(param, "Function names must match ^[a-zA-Z0-9_-]{1,64}$.");
    if (names.has(fn.name)) throw GatewayError.invalidRequest(param, `Duplicate function name '${fn.name}'.`);
    names.add(fn.name);
    tools.push({ toolSpec: toToolSpec(fn) });
    if (!legacy) appendCachePoint(tools, req.tools![i]!.cache_control, model.caching);
  });

  const tc = req.tool_choice ?? undefined;
  const fc = req.function_call ?? undefined;
  const choiceParam = tc === undefined && fc !== undefined ? "function_call" : "tool_choice";
  let choice: Choice;
  if (tc !== undefined) choice = typeof tc === "string" ? tc : { name: tc.function.name };
  else if (fc !== undefined) choice = typeof fc === "string" ? fc : { name: fc.name };
  if ((choice === "required" || typeof choice === "object") && names.size === 0) {
    throw GatewayError.invalidRequest(choiceParam, `${choiceParam} requires ${legacy ? "functions" : "tools"}.`);
  }
  if (typeof choice === "object" && !names.has(choice.name)) {
    throw GatewayError.invalidRequest(choiceParam, `${choiceParam} names '${choice.name}', which is not among the tools.`);
  }
  return { tools, names, choice, choiceParam };
}

/**
 * Whether the client speaks the deprecated functions API, so the response must use `function_call` instead of
 * `tool_calls`: no `tools`, and `functions` or `function_call` in the request, or (a final turn that dropped the
 * definitions) a history of legacy `function_call` / `role: "function"` messages and no modern tool messages.
 */
export function usesLegacyFunctions(req: ChatCompletionRequest): boolean {
  if (req.tools?.length) return false;
  if (req.functions?.length || req.function_call != null) return true;
  let legacy = false;
  for (const m of req.messages) {
    if (m.role === "tool" || (m.role === "assistant" && m.tool_calls?.length)) return false;
    if (m.role === "function" || (m.role === "assistant" && m.function_call)) legacy = true;
  }
  return legacy;
}

function toToolSpec(fn: FunctionDefinition): ToolSpecification {
  const spec: ToolSpecification = { name: fn.name, inputSchema: { json: fn.parameters ?? EMPTY_PARAMETERS } };
  if (fn.description && fn.description.trim() !== "") spec.description = fn.description;
  if (fn.strict === true) spec.strict = true;
  return spec;
}

export type ToolConfigOptions = {
  model: ModelEntry;
  /** The converted history has toolUse/toolResult blocks: Bedrock then requires toolConfig. */
  historyHasToolBlocks: boolean;
  historyToolNames: string[];
  thinking: boolean;
  /** Forced tool that emulates `json_schema` output (response-format.ts). */
  jsonTool?: ToolSpecification;
  warnings: string[];
};

/**
 * Builds `toolConfig`, or undefined when no tool is in play.
 * - `none`: Converse has no such choice, so tools are omitted, unless the history has tool blocks; then they stay,
 *   without toolChoice (the model could still call one: a documented limitation).
 * - History with tool blocks but no `tools` in the request: Bedrock rejects the request without toolConfig, so the
 *   gateway declares the tools the history used, with a minimal `{"type":"object"}` schema. Chosen over a 400
 *   because many clients drop `tools` on a final "summarise" turn.
 * - `auto` is Bedrock's default and some models reject the field, so it is omitted.
 * - Forced choices are not allowed with Claude extended thinking, and some models (Llama) reject toolChoice
 *   altogether: they fall back to auto with a warning.
 */
export function buildToolConfig(tr: ToolRequest, o: ToolConfigOptions): ToolConfiguration | undefined {
  const tools: Tool[] = tr.choice !== "none" || o.historyHasToolBlocks ? [...tr.tools] : [];
  if (tr.names.size === 0 && o.historyHasToolBlocks) {
    for (const name of o.historyToolNames) {
      if (name !== o.jsonTool?.name) tools.push({ toolSpec: { name, inputSchema: { json: HISTORY_TOOL_SCHEMA } } });
    }
  }
  if (o.jsonTool) tools.push({ toolSpec: o.jsonTool });
  if (!tools.some((t) => "toolSpec" in t)) return undefined;
  if (!o.model.tools) {
    throw GatewayError.invalidRequest(tr.names.size > 0 ? "tools" : "messages", `Model '${o.model.id}' does not support tool use.`);
  }

  let toolChoice = chooseTool(tr, o.jsonTool);
  if (toolChoice && o.thinking) {
    o.warnings.push(`${tr.choiceParam} forcing a tool is not allowed with extended thinking: sent as auto`);
    toolChoice = undefined;
  } else if (toolChoice && !o.model.toolChoice) {
    o.warnings.push(`${tr.choiceParam} forcing a tool is not supported by model '${o.model.id}': sent as auto`);
    toolChoice = undefined;
  }
  return toolChoice ? { tools, toolChoice } : { tools };
}

function chooseTool(tr: ToolRequest, jsonTool: ToolSpecification | undefined): ToolChoice | undefined {
  const { choice } = tr;
  if (typeof choice === "object") return { tool: { name: choice.name } };
  if (choice === "required") return { any: {} };
  if (!jsonTool) return undefined;
  // JSON output via a forced tool. With the client's own tools in play the model must either call one of them or
  // answer through the JSON tool, which `any` expresses.
  return tr.names.size > 0 && choice !== "none" ? { any: {} } : { tool: { name: jsonTool.name } };
}
