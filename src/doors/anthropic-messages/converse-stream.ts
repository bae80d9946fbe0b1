/**
 * ConverseStream events → Anthropic stream events, for models reached through Converse, in Anthropic's order
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start` and a `ping`, then per content
 * block `content_block_start`, its deltas (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`)
 * and `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`. Converse reports usage
 * after its messageStop, so the closing pair waits for it (or for the end of the stream). Block indexes count from
 * 0 in the order blocks appear. Pure.
 */
import type { ConverseStreamEvent } from "../../bedrock/converse-types";
import { GatewayError } from "../../errors";
import { estimateTokens, normalizeUsage, type NormalizedUsage } from "../../translate/usage";
import type { AnthropicStreamTranslator } from "./invoke-stream";
import type { AnthropicStreamEvent } from "./schema";
import { matchedStopSequence, toAnthropicStopReason } from "./stop-reason";

export type ConverseStreamMeta = { id: string; model: string; inputEstimate: number; stopSequences?: string[] };

type Block = { index: number; kind: "text" | "thinking" | "redacted_thinking" | "tool_use" };
type Delta = Extract<ConverseStreamEvent, { type: "contentBlockDelta" }>["body"]["delta"];

export function createConverseStreamTranslator(meta: ConverseStreamMeta): AnthropicStreamTranslator<ConverseStreamEvent> {
  const blocks = new Map<number, Block>();
  let next = 0;
  let started = false;
  let stopReason: string | null = null;
  let usage: NormalizedUsage | null = null;
  let closed = false;
  let chars = 0;

  const start = (out: AnthropicStreamEvent[]) => {
    if (started) return;
    started = true;
    out.push(
      {
        type: "message_start",
        message: {
          id: meta.id,
          type: "message",
          role: "assistant",
          content: [],
          model: meta.model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: meta.inputEstimate, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      },
      { type: "ping" },
    );
  };

  const open = (i: number, kind: Block["kind"], contentBlock: Record<string, unknown>, out: AnthropicStreamEvent[]): Block => {
    let b = blocks.get(i);
    if (b) return b;
    b = { index: next++, kind };
    blocks.set(i, b);
    out.push({ type: "content_block_start", index: b.index, content_block: { type: kind, ...contentBlock } });
    return b;
  };

  const onDelta = (i: number, d: Delta, out: AnthropicStreamEvent[]) => {
    if (typeof d.text === "string" && d.text !== "") {
      const b = open(i, "text", { text: "" }, out);
      chars += d.text.length;
      out.push({ type: "content_block_delta", index: b.index, delta: { type: "text_delta", text: d.text } });
    } else if (d.toolUse) {
      const b = blocks.get(i);
      if (b?.kind !== "tool_use") {
        throw GatewayError.upstream(`Bedrock sent tool input for content block ${i} without starting a tool call.`, "upstream_invalid_response");
      }
      if (typeof d.toolUse.input !== "string" || d.toolUse.input === "") return;
      chars += d.toolUse.input.length;
      out.push({ type: "content_block_delta", index: b.index, delta: { type: "input_json_delta", partial_json: d.toolUse.input } });
    } else if (d.reasoningContent) {
      const r = d.reasoningContent;
      if (r.redactedContent) {
        open(i, "redacted_thinking", { data: r.redactedContent }, out);
        return;
      }
      const b = open(i, "thinking", { thinking: "", signature: "" }, out);
      if (typeof r.text === "string" && r.text !== "") {
        chars += r.text.length;
        out.push({ type: "content_block_delta", index: b.index, delta: { type: "thinking_delta", thinking: r.text } });
      }
      if (r.signature) out.push({ type: "content_block_delta", index: b.index, delta: { type: "signature_delta", signature: r.signature } });
    }
  };

  const stop = (i: number, out: AnthropicStreamEvent[]) => {
    const b = blocks.get(i);
    if (!b) return;
    out.push({ type: "content_block_stop", index: b.index });
    blocks.delete(i);
  };

  const close = (out: AnthropicStreamEvent[]) => {
    closed = true;
    const u = usage ?? { inputTokens: meta.inputEstimate, outputTokens: estimateTokens(chars), cacheReadTokens: 0, cacheWriteTokens: 0 };
    const reason = toAnthropicStopReason(stopReason);
    out.push(
      {
        type: "message_delta",
        delta: { stop_reason: reason, stop_sequence: matchedStopSequence(reason, meta.stopSequences) },
        usage: {
          input_tokens: u.inputTokens,
          output_tokens: u.outputTokens,
          cache_creation_input_tokens: u.cacheWriteTokens,
          cache_read_input_tokens: u.cacheReadTokens,
        },
      },
      { type: "message_stop" },
    );
  };

  return {
    push(event) {
      const out: AnthropicStreamEvent[] = [];
      if (closed) return out;
      switch (event.type) {
        case "messageStart":
          start(out);
          break;
        case "contentBlockStart": {
          start(out);
          const tool = event.body.start?.toolUse;
          if (tool) open(event.body.contentBlockIndex, "tool_use", { id: tool.toolUseId, name: tool.name, input: {} }, out);
          break;
        }
        case "contentBlockDelta":
          start(out);
          onDelta(event.body.contentBlockIndex, event.body.delta ?? {}, out);
          break;
        case "contentBlockStop":
          stop(event.body.contentBlockIndex, out);
          break;
        case "messageStop":
          start(out);
          for (const i of [...blocks.keys()]) stop(i, out);
          stopReason = typeof event.body.stopReason === "string" ? event.body.stopReason : "end_turn";
          if (usage) close(out);
          break;
        case "metadata":
          usage ??= normalizeUsage(event.body.usage);
          if (stopReason !== null) close(out);
          break;
        default: {
          const _never: never = event;
          void _never;
        }
      }
      return out;
    },
    finish() {
      if (stopReason === null) throw GatewayError.upstream("Bedrock ended the stream early", "upstream_stream_truncated");
      const out: AnthropicStreamEvent[] = [];
      if (!closed) close(out);
      return out;
    },
    state: {
      get usage() {
        return usage;
      },
      get stopReason() {
        return stopReason;
      },
      get estimatedOutputTokens() {
        return estimateTokens(chars);
      },
    },
  };
}
