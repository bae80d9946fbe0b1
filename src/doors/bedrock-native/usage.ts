/**
 * Usage of Bedrock-native requests, read from what Bedrock answers (the client gets those bytes unchanged):
 *   Converse                       the response's `usage` (service model TokenUsage)
 *   InvokeModel                    the `x-amzn-bedrock-input-token-count` / `-output-token-count` headers (and the
 *                                  cache read / write counts where Bedrock sends them)
 *   ConverseStream                 the final `metadata` event's `usage`
 *   InvokeModelWithResponseStream  `amazon-bedrock-invocationMetrics` in the last chunk's payload
 * (Bedrock user guide, "Monitor token usage"; API reference, ConverseStreamMetadataEvent.) Before the call, the
 * input is estimated and the output bounded from the body, for admission. Pure.
 */
import { estimateInputTokens, textTokens } from "../../usage/estimate";
import type { ConverseRequest } from "../../bedrock/converse-types";
import { estimateTokens, normalizeUsage, type NormalizedUsage } from "../../translate/usage";

/** The decoded copy of one relayed event-stream frame (frames.ts decodes it; the client gets the original bytes). */
export type DecodedFrame = {
  messageType: string;
  eventType?: string;
  exceptionType?: string;
  payload: Record<string, unknown> | null;
};

const count = (n: unknown): number | null => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? Math.floor(n) : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Usage and stop reason of a Converse answer (null usage when the answer has none). */
export function converseUsage(answer: unknown): { usage: NormalizedUsage | null; stopReason: string | null } {
  if (!isObject(answer)) return { usage: null, stopReason: null };
  return {
    usage: isObject(answer.usage) ? normalizeUsage(answer.usage) : null,
    stopReason: typeof answer.stopReason === "string" ? answer.stopReason : null,
  };
}

/** InvokeModel's token-count headers; null when Bedrock sent no input count. */
export function invokeHeaderUsage(headers: Headers): NormalizedUsage | null {
  const n = (name: string) => {
    const v = headers.get(name);
    return v === null || v.trim() === "" ? null : count(Number(v));
  };
  const input = n("x-amzn-bedrock-input-token-count");
  if (input === null) return null;
  return {
    inputTokens: input,
    outputTokens: n("x-amzn-bedrock-output-token-count") ?? 0,
    cacheReadTokens: n("x-amzn-bedrock-cache-read-input-token-count") ?? 0,
    cacheWriteTokens: n("x-amzn-bedrock-cache-write-input-token-count") ?? 0,
  };
}

/** `amazon-bedrock-invocationMetrics` of a decoded chunk payload, or null. */
export function invocationMetricsUsage(payload: unknown): NormalizedUsage | null {
  const m = isObject(payload) ? payload["amazon-bedrock-invocationMetrics"] : undefined;
  if (!isObject(m)) return null;
  const input = count(m.inputTokenCount);
  if (input === null) return null;
  return {
    inputTokens: input,
    outputTokens: count(m.outputTokenCount) ?? 0,
    cacheReadTokens: count(m.cacheReadInputTokenCount) ?? 0,
    cacheWriteTokens: count(m.cacheWriteInputTokenCount) ?? 0,
  };
}

/** The stop reason a model-native stream payload carries, in the spellings of Bedrock's model families. */
function nativeStopReason(p: Record<string, unknown>): string | null {
  const delta = isObject(p.delta) ? p.delta : undefined;
  for (const v of [delta?.stop_reason, p.stop_reason, p.stopReason, p.completionReason, p.finish_reason]) if (typeof v === "string") return v;
  const choice = Array.isArray(p.choices) && isObject(p.choices[0]) ? p.choices[0] : undefined;
  return typeof choice?.finish_reason === "string" ? choice.finish_reason : typeof choice?.stop_reason === "string" ? choice.stop_reason : null;
}

/** Text a model-native stream payload adds (for the estimate of a stream cut before its metrics). */
function nativeText(p: Record<string, unknown>): number {
  const delta = isObject(p.delta) ? p.delta : undefined;
  let n = 0;
  for (const v of [delta?.text, delta?.thinking, delta?.partial_json, p.outputText, p.generation, p.completion, p.text])
    if (typeof v === "string") n += v.length;
  return n;
}

export type StreamUsageState = {
  usage: NormalizedUsage | null;
  stopReason: string | null;
  /** Bedrock sent the stream's last event (ConverseStream `metadata`, or the chunk with the invocation metrics). */
  complete: boolean;
  /** Characters of generated text seen, for an estimate when the stream is cut. */
  chars: number;
};

export function newStreamUsage(): StreamUsageState {
  return { usage: null, stopReason: null, complete: false, chars: 0 };
}

/** Reads one relayed event (a decoded copy) into the state. */
export function readStreamEvent(state: StreamUsageState, frame: DecodedFrame): void {
  if (frame.messageType !== "event" || !frame.payload) return;
  const p = frame.payload;
  switch (frame.eventType) {
    case "contentBlockDelta": {
      const d = isObject(p.delta) ? p.delta : {};
      const r = isObject(d.reasoningContent) ? d.reasoningContent : {};
      const tool = isObject(d.toolUse) ? d.toolUse : {};
      for (const v of [d.text, r.text, tool.input]) if (typeof v === "string") state.chars += v.length;
      return;
    }
    case "messageStop":
      if (typeof p.stopReason === "string") state.stopReason = p.stopReason;
      return;
    case "metadata":
      if (isObject(p.usage)) state.usage = normalizeUsage(p.usage);
      state.complete = true;
      return;
    case "chunk": {
      const native = decodeChunkBytes(p.bytes);
      if (!native) return;
      state.chars += nativeText(native);
      state.stopReason = nativeStopReason(native) ?? state.stopReason;
      const metrics = invocationMetricsUsage(native);
      if (metrics) {
        state.usage = metrics;
        state.complete = true;
      }
      return;
    }
  }
}

const utf8 = new TextDecoder();

/** A `chunk` event's `bytes` (base64 of the model's own JSON event), or null when it is not JSON. */
export function decodeChunkBytes(bytes: unknown): Record<string, unknown> | null {
  if (typeof bytes !== "string") return null;
  try {
    const bin = atob(bytes);
    const buf = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
    const v = JSON.parse(utf8.decode(buf));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** Output tokens of a stream cut before Bedrock reported them: about four characters a token. */
export function estimatedStreamOutput(state: StreamUsageState): number {
  return estimateTokens(state.chars);
}

/** Input tokens of a Converse body, estimated as on the other doors (a body without messages runs a prompt resource). */
export function estimateConverseInput(body: Record<string, unknown>): number {
  return estimateInputTokens({ ...body, messages: Array.isArray(body.messages) ? body.messages : [] } as ConverseRequest);
}

/** Strings this long made only of base64 characters are media (images, documents), not text. */
const MEDIA = /^[A-Za-z0-9+/=\r\n]{2048,}$/;
/** Anthropic's image cap (see usage/estimate.ts), counted for each media payload of a model-native body. */
const MEDIA_TOKENS = 1_600;

/**
 * Input tokens of a model-native InvokeModel body, whatever its family: the text of every string in it (keys
 * and numbers are few), media payloads at a fixed cap. It errs high, like the Converse estimate.
 */
export function estimateInvokeInput(body: unknown): number {
  let n = 0;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") n += MEDIA.test(v) ? MEDIA_TOKENS : textTokens(v);
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (isObject(v)) for (const x of Object.values(v)) stack.push(x);
  }
  return n;
}

/**
 * The most output tokens a model-native body asks for, in its family's spelling (Bedrock user guide, "Inference
 * request parameters and response fields for foundation models"), or `fallback` when it names none.
 */
export function invokeMaxOutput(body: unknown, fallback: number): number {
  if (!isObject(body)) return fallback;
  const tg = isObject(body.textGenerationConfig) ? body.textGenerationConfig : {};
  const ic = isObject(body.inferenceConfig) ? body.inferenceConfig : {};
  for (const v of [body.max_tokens, body.max_completion_tokens, body.max_gen_len, body.maxTokens, tg.maxTokenCount, ic.max_new_tokens, ic.maxTokens]) {
    const n = count(v);
    if (n !== null && n > 0) return n;
  }
  return fallback;
}
