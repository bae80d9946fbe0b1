/**
 * ConverseStream events → Anthropic stream events, for models reached through Converse, in Anthropic's order
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start` and a `ping`, then per content
 * block `content_block_start`, its deltas (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`)
 * and `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`. Converse reports usage
 * after its messageStop, so the closing pair waits for it (or for the end of the stream). Block indexes count from
 * 0 in the order blocks appear. Pure.
 */
import type { ConverseStreamEvent } from "../../bedrock/converse-types";
import { type ConverseBlock, type ConverseStep, createConverseReader } from "../../translate/converse-reader";
import type { AnthropicStreamTranslator } from "./invoke-stream";
import type { AnthropicStreamEvent } from "./schema";
import { matchedStopSequence, toAnthropicStopReason } from "./stop-reason";

export type ConverseStreamMeta = { id: string; model: string; inputEstimate: number; stopSequences?: string[] };

export function createConverseStreamTranslator(meta: ConverseStreamMeta): AnthropicStreamTranslator<ConverseStreamEvent> {
  const reader = createConverseReader();
  /** Blocks whose content_block_start was sent. */
  const opened = new Set<ConverseBlock>();
  let closed = false;
  // Converse may omit the stop reason; Anthropic's clients need one.
  const stopReason = () => (reader.stopped ? (reader.stopReason ?? "end_turn") : null);

  const start = (out: AnthropicStreamEvent[]) => {
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

  const open = (
    b: ConverseBlock,
    kind: "text" | "thinking" | "redacted_thinking" | "tool_use",
    contentBlock: Record<string, unknown>,
    out: AnthropicStreamEvent[],
  ) => {
    if (opened.has(b)) return;
    opened.add(b);
    out.push({ type: "content_block_start", index: b.seq, content_block: { type: kind, ...contentBlock } });
  };

  const close = (out: AnthropicStreamEvent[]) => {
    closed = true;
    const u = reader.usage ?? { inputTokens: meta.inputEstimate, outputTokens: reader.estimatedOutputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const reason = toAnthropicStopReason(stopReason());
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

  const step = (s: ConverseStep, out: AnthropicStreamEvent[]) => {
    switch (s.type) {
      case "start":
        start(out);
        return;
      case "toolStart":
        open(s.block, "tool_use", { id: s.block.toolUseId, name: s.block.name, input: {} }, out);
        return;
      case "text":
        open(s.block, "text", { text: "" }, out);
        out.push({ type: "content_block_delta", index: s.block.seq, delta: { type: "text_delta", text: s.text } });
        return;
      case "toolInput":
        out.push({ type: "content_block_delta", index: s.block.seq, delta: { type: "input_json_delta", partial_json: s.input } });
        return;
      case "reasoning": {
        const r = s.delta;
        if (r.redactedContent) {
          open(s.block, "redacted_thinking", { data: r.redactedContent }, out);
          return;
        }
        open(s.block, "thinking", { thinking: "", signature: "" }, out);
        if (typeof r.text === "string" && r.text !== "")
          out.push({ type: "content_block_delta", index: s.block.seq, delta: { type: "thinking_delta", thinking: r.text } });
        if (r.signature) out.push({ type: "content_block_delta", index: s.block.seq, delta: { type: "signature_delta", signature: r.signature } });
        return;
      }
      case "blockStop":
        if (opened.delete(s.block)) out.push({ type: "content_block_stop", index: s.block.seq });
        return;
      case "messageStop":
        if (reader.usage) close(out);
        return;
      case "usage":
        if (s.afterStop) close(out);
        return;
      default: {
        const _never: never = s;
        void _never;
      }
    }
  };

  return {
    push(event) {
      const out: AnthropicStreamEvent[] = [];
      if (closed) return out;
      for (const s of reader.read(event)) step(s, out);
      return out;
    },
    finish() {
      reader.end();
      const out: AnthropicStreamEvent[] = [];
      if (!closed) close(out);
      return out;
    },
    state: {
      get usage() {
        return reader.usage;
      },
      get stopReason() {
        return stopReason();
      },
      get estimatedOutputTokens() {
        return reader.estimatedOutputTokens;
      },
    },
  };
}
