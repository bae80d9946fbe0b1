/**
 * Sampling and length fields → `inferenceConfig` (`maxTokens`, `temperature`, `topP`, `stopSequences` in the
 * Bedrock Converse API reference), and the OpenAI fields Converse cannot honour.
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

/**
 * `stop` → stopSequences, at most four. Empty strings are dropped (Bedrock needs non-empty ones); so are
 * whitespace-only ones (such as "\n") for models flagged strictWhitespace, with a warning: Anthropic rejects the
 * whole request otherwise ("each stop sequence must contain non-whitespace").
 */
export function toStopSequences(stop: ChatCompletionRequest["stop"], model: ModelEntry, warnings: string[]): string[] | undefined {
  if (stop == null) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (list.length > MAX_STOP_SEQUENCES) {
    throw GatewayError.invalidRequest("stop", `At most ${MAX_STOP_SEQUENCES} stop sequences are allowed.`);
  }
  const nonEmpty = list.filter((s) => s !== "");
  const kept = model.strictWhitespace ? nonEmpty.filter((s) => s.trim() !== "") : nonEmpty;
  if (kept.length < nonEmpty.length) {
    warnings.push(
      `${nonEmpty.length - kept.length} whitespace-only stop sequence(s) dropped: model '${model.id}' accepts only stop sequences with visible characters`,
    );
  }
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
  const stopSequences = toStopSequences(req.stop, o.model, o.warnings);
  if (stopSequences) config.stopSequences = stopSequences;
  return config;
}
