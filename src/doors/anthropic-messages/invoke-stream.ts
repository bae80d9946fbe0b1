/**
 * InvokeModelWithResponseStream for Claude → Anthropic SSE events. Each Bedrock `chunk` event carries one Anthropic
 * stream event, base64-encoded in `bytes` (Bedrock's Claude Messages reference); they are relayed in order, with
 * the model named as the client did and a `ping` after `message_start` as Anthropic sends one. Usage is read on the
 * way: `message_start` (input and cache), `message_delta` (output, cumulative) and, winning over both, the
 * `amazon-bedrock-invocationMetrics` Bedrock adds to the last event (removed before the client sees it). Pure.
 */
import { GatewayError } from "../../errors";
import { estimateTokens, type NormalizedUsage } from "../../translate/usage";
import type { AnthropicStreamEvent } from "./schema";
import { mergeCounts, readAnthropicUsage } from "./usage";

export type InvokeStreamEvent = { type: "chunk"; body: { bytes?: unknown } };

const METRICS = "amazon-bedrock-invocationMetrics";
const decoder = new TextDecoder();

export type AnthropicStreamState = {
  readonly usage: NormalizedUsage | null;
  readonly stopReason: string | null;
  readonly estimatedOutputTokens: number;
};

export type AnthropicStreamTranslator<E> = {
  push(event: E): AnthropicStreamEvent[];
  finish(): AnthropicStreamEvent[];
  readonly state: AnthropicStreamState;
};

function decodeChunk(bytes: unknown): AnthropicStreamEvent {
  if (typeof bytes !== "string") throw GatewayError.upstream("Bedrock sent a stream chunk without bytes.", "upstream_invalid_response");
  let event: unknown;
  try {
    const bin = atob(bytes);
    const buf = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
    event = JSON.parse(decoder.decode(buf));
  } catch {
    throw GatewayError.upstream("Bedrock sent a stream chunk that is not a JSON event.", "upstream_invalid_response");
  }
  if (!event || typeof event !== "object" || typeof (event as { type?: unknown }).type !== "string") {
    throw GatewayError.upstream("Bedrock sent a stream chunk that is not an Anthropic event.", "upstream_invalid_response");
  }
  return event as AnthropicStreamEvent;
}

/** Creates the relay's translator for one Claude stream; `model` is the name the client asked for. */
export function createInvokeStreamTranslator(meta: { model: string }): AnthropicStreamTranslator<InvokeStreamEvent> {
  let start = readAnthropicUsage(undefined);
  let delta = readAnthropicUsage(undefined);
  let metrics: ReturnType<typeof readAnthropicUsage> | null = null;
  let stopReason: string | null = null;
  let stopped = false;
  let chars = 0;

  return {
    push(e) {
      const event = decodeChunk(e.body?.bytes);
      switch (event.type) {
        case "message_start": {
          const message: Record<string, unknown> = { ...(event.message as Record<string, unknown>), model: meta.model };
          start = readAnthropicUsage(message.usage);
          return [{ ...event, message }, { type: "ping" }];
        }
        case "content_block_delta": {
          const d = event.delta as { text?: unknown; thinking?: unknown; partial_json?: unknown } | undefined;
          for (const v of [d?.text, d?.thinking, d?.partial_json]) if (typeof v === "string") chars += v.length;
          return [event];
        }
        case "message_delta": {
          const reason = (event.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
          if (typeof reason === "string") stopReason = reason;
          delta = readAnthropicUsage(event.usage);
          return [event];
        }
        case "message_stop": {
          stopped = true;
          const m = event[METRICS] as Record<string, unknown> | undefined;
          if (m && typeof m === "object") {
            metrics = readAnthropicUsage({
              input_tokens: m.inputTokenCount,
              output_tokens: m.outputTokenCount,
              cache_read_input_tokens: m.cacheReadInputTokenCount,
              cache_creation_input_tokens: m.cacheWriteInputTokenCount,
            });
          }
          const { [METRICS]: _metrics, ...rest } = event;
          return [rest as AnthropicStreamEvent];
        }
        default:
          return [event];
      }
    },
    finish() {
      if (!stopped) throw GatewayError.upstream("Bedrock ended the stream early", "upstream_stream_truncated");
      return [];
    },
    state: {
      get usage() {
        if (metrics) return mergeCounts(metrics, delta, start);
        return delta.output !== null && stopped ? mergeCounts(delta, start) : null;
      },
      get stopReason() {
        return stopReason;
      },
      get estimatedOutputTokens() {
        return Math.max(delta.output ?? 0, estimateTokens(chars));
      },
    },
  };
}
