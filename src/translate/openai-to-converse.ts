/**
 * OpenAI Chat Completions request → Converse request body. Pure: everything it needs arrives in `ctx`.
 * The rules live in one file per concern (messages, tools, reasoning, response-format, inference-config,
 * cache-points, passthrough); this file orders them.
 */
import type { ConverseRequest, OutputConfig, ReasoningContentBlock } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import { limitCachePoints, MAX_CACHE_POINTS } from "./cache-points";
import { buildInferenceConfig, maxTokensParam, rejectUnsupported, resolveMaxTokens, resolveTemperature } from "./inference-config";
import { convertMessages } from "./messages";
import type { ChatCompletionRequest } from "./openai-types";
import { mergeAdditionalFields, readPassthrough } from "./passthrough";
import { fitThinkingBudget, MIN_ANSWER_ROOM, MIN_THINKING_BUDGET, planReasoning } from "./reasoning";
import { planResponseFormat } from "./response-format";
import { buildToolConfig, readTools, usesLegacyFunctions } from "./tools";
import { assistantToolTurnLacksReasoning, hasToolBlocks, stripReasoning, toConverseMessages, toolNamesInHistory, trimPrefill } from "./turns";

export type TranslateContext = {
  model: ModelEntry; // resolved catalogue entry (bedrockModelId, capabilities)
  allowPassthrough: boolean; // config ALLOW_BEDROCK_PASSTHROUGH
  temperatureAboveOne: "reject" | "clamp";
  /** Signed thinking blocks kept by the gateway from earlier turns, looked up by the tool-call id they preceded. */
  reasoningFor(toolCallId: string): ReasoningContentBlock[] | undefined;
};

export type TranslatedRequest = {
  body: ConverseRequest; // the Converse body (modelId goes in the URL, not here)
  thinking: boolean; // extended thinking enabled for this request
  thinkingDropped?: string; // why thinking was turned off (e.g. blocks no longer available); not repeated in warnings
  jsonToolName?: string; // set when json output is emulated with a forced tool: the response side must turn that tool's input into message content
  warnings: string[]; // e.g. "temperature clamped to 1"
  legacyFunctions?: boolean; // set when the client uses the deprecated functions API: answer with `function_call`, not `tool_calls`
};

/**
 * Translates a validated Chat Completions request into a Converse body.
 * Throws `GatewayError.invalidRequest(param, message)` for requests Bedrock cannot serve as asked.
 */
export function toConverseRequest(req: ChatCompletionRequest, ctx: TranslateContext): TranslatedRequest {
  const { model } = ctx;
  const warnings: string[] = [];
  rejectUnsupported(req);
  const passthrough = readPassthrough(req, ctx.allowPassthrough);
  let maxTokens = resolveMaxTokens(req, model);
  const temperature = resolveTemperature(req.temperature, ctx.temperatureAboveOne, warnings);
  const reasoning = planReasoning(req.reasoning_effort, model, warnings);
  const toolRequest = readTools(req, model);

  let thinking = reasoning.kind === "thinking";
  const converted = convertMessages(req.messages, { model, thinking, reasoningFor: ctx.reasoningFor });
  const messages = toConverseMessages(converted.turns);

  // Thinking needs every earlier tool-calling assistant turn to carry its signed thinking, and no prefill.
  // When that cannot be met, the request still runs, without thinking, instead of failing.
  let thinkingDropped: string | undefined;
  let budget = reasoning.kind === "thinking" ? reasoning.budget : 0;
  if (thinking && assistantToolTurnLacksReasoning(messages)) {
    thinkingDropped = "an earlier assistant tool-call turn has no thinking blocks (no longer kept by the gateway, and not sent back by the client)";
  } else if (thinking && messages[messages.length - 1]!.role === "assistant") {
    thinkingDropped = "the conversation ends with an assistant message (prefill), which extended thinking does not allow";
  } else if (thinking) {
    const param = maxTokensParam(req);
    const fit = fitThinkingBudget(budget, { maxTokens, clientSet: param !== null }, model, warnings);
    if (fit) ({ budget, maxTokens } = fit);
    else if (param) {
      thinkingDropped = `reasoning_effort ignored: ${param} ${maxTokens} leaves no room for extended thinking (${MIN_THINKING_BUDGET} thinking tokens at least, plus ${MIN_ANSWER_ROOM} for the answer)`;
    } else thinkingDropped = `reasoning_effort ignored: model '${model.id}' cannot fit the minimum thinking budget in its output limit`;
  }
  if (thinkingDropped) thinking = false;
  if (!thinking) stripReasoning(messages);
  if (model.strictWhitespace) trimPrefill(messages);

  const forcesClientTool = toolRequest.choice === "required" || typeof toolRequest.choice === "object";
  const format = planResponseFormat(req.response_format, model, { toolNames: toolRequest.names, forcesClientTool, thinking, warnings });
  const toolConfig = buildToolConfig(toolRequest, {
    model,
    historyHasToolBlocks: hasToolBlocks(messages),
    historyToolNames: toolNamesInHistory(messages),
    thinking,
    jsonTool: format.jsonTool,
    warnings,
  });

  const body: ConverseRequest = { messages };
  const system = format.systemText ? [...converted.system, { text: format.systemText }] : converted.system;
  if (system.length > 0) body.system = system;
  body.inferenceConfig = buildInferenceConfig(req, { maxTokens, temperature, thinking, model, warnings });
  if (toolConfig) body.toolConfig = toolConfig;
  if (passthrough.guardrail) body.guardrailConfig = passthrough.guardrail;
  const fields = mergeAdditionalFields(passthrough.fields, thinking ? { thinking: { type: "enabled", budget_tokens: budget } } : {});
  if (fields) body.additionalModelRequestFields = fields;
  const outputConfig: OutputConfig = {};
  if (format.textFormat) outputConfig.textFormat = format.textFormat;
  if (reasoning.kind === "effort") outputConfig.effort = reasoning.effort;
  if (Object.keys(outputConfig).length > 0) body.outputConfig = outputConfig;

  const removed = limitCachePoints(body);
  if (removed > 0) warnings.push(`${removed} cache point(s) dropped: at most ${MAX_CACHE_POINTS} per request, the last ones kept`);

  const out: TranslatedRequest = { body, thinking, warnings };
  if (thinkingDropped) out.thinkingDropped = thinkingDropped;
  if (format.jsonTool) out.jsonToolName = format.jsonTool.name;
  if (usesLegacyFunctions(req)) out.legacyFunctions = true;
  return out;
}
