/**
 * Sampling and length fields → `inferenceConfig` (MAPPING b.1), and the OpenAI fields Converse cannot honour.
 */
import type { InferenceConfiguration } from "../bedrock/converse-types";
import type { ModelEntry } from "../catalogue";
import { GatewayError } from "../errors";
import type { ChatCompletionRequest } from "./openai-types";

/** OpenAI's limit on stop sequences. */
export const MAX_STOP_SEQUENCES = 4;

/** Fields that would silently hand the client less than it asked for are rejected, not ignored. */
export function rejectUnsupported(req: ChatCompletionRequest): void {
  if (req.n != null && req.n > 1) {
    throw GatewayError.invalidRequest("n", "n > 1 is not supported: Bedrock returns a single choice.");
  }
  if (req.logprobs === true) throw GatewayError.invalidRequest("logprobs", "logprobs are not available from Bedrock.");
  if (req.top_logprobs != null && req.top_logprobs > 0) {
    throw GatewayError.invalidRequest("top_logprobs", "top_logprobs are not available from Bedrock.");
  }
}

/**
 * `max_completion_tokens` (preferred; `max_tokens` is deprecated), else the catalogue default. A request above the
 * model's output limit is rejected rather than capped, as OpenAI does: a silent cap would change what the client
 * pays for and expects.
 */
export function resolveMaxTokens(req: ChatCompletionRequest, model: ModelEntry): number {
  const param = maxTokensParam(req);
  if (param === null) return Math.min(model.defaultMaxTokens, model.maxOutputTokens);
  const value = req[param]!;
  if (value > model.maxOutputTokens) {
    throw GatewayError.invalidRequest(param, `${param} is too large: ${value}. Model '${model.id}' supports at most ${model.maxOutputTokens} output tokens.`);
  }
  return value;
}

/** The field the client's output limit comes from, or null when it set none. */
export function maxTokensParam(req: ChatCompletionRequest): "max_completion_tokens" | "max_tokens" | null {
  return req.max_completion_tokens != null ? "max_completion_tokens" : req.max_tokens != null ? "max_tokens" : null;
}

/** Bedrock's temperature range is 0–1, OpenAI's 0–2: above 1 is rejected or clamped, per configuration. */
export function resolveTemperature(temperature: number | null | undefined, aboveOne: "reject" | "clamp", warnings: string[]): number | undefined {
  if (temperature == null) return undefined;
  if (temperature <= 1) return temperature;
  if (aboveOne === "reject") {
    throw GatewayError.invalidRequest("temperature", `temperature ${temperature} is above Bedrock's maximum of 1 (Bedrock's range is 0 to 1).`);
  }
  warnings.push(`temperature clamped from ${temperature} to 1`);
  return 1;
}

/** `stop` → stopSequences: empty strings dropped (Bedrock needs non-empty ones), at most four. */
export function toStopSequences(stop: ChatCompletionRequest["stop"]): string[] | undefined {
  if (stop == null) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (list.length > MAX_STOP_SEQUENCES) {
    throw GatewayError.invalidRequest("stop", `At most ${MAX_STOP_SEQUENCES} stop sequences are allowed.`);
  }
  const kept = list.filter((s) => s !== "");
  return kept.length > 0 ? kept : undefined;
}

/**
 * Builds inferenceConfig. With extended thinking, temperature and topP are dropped (Anthropic rejects them);
 * for models flagged temperatureTopPConflict, topP is dropped when temperature is set.
 */
export function buildInferenceConfig(
  req: ChatCompletionRequest,
  o: { maxTokens: number; temperature: number | undefined; thinking: boolean; model: ModelEntry; warnings: string[] },
): InferenceConfiguration {
  const config: InferenceConfiguration = { maxTokens: o.maxTokens };
  let temperature = o.temperature;
  let topP = req.top_p ?? undefined;
  if (o.thinking && (temperature !== undefined || topP !== undefined)) {
    o.warnings.push("temperature and top_p are not supported with extended thinking: dropped");
    temperature = topP = undefined;
  }
  if (o.model.temperatureTopPConflict && temperature !== undefined && topP !== undefined) {
    o.warnings.push(`top_p dropped: model '${o.model.id}' does not accept temperature and top_p together`);
    topP = undefined;
  }
  if (temperature !== undefined) config.temperature = temperature;
  if (topP !== undefined) config.topP = topP;
  const stopSequences = toStopSequences(req.stop);
  if (stopSequences) config.stopSequences = stopSequences;
  return config;
}
