/**
 * The bookkeeping every door's ConverseStream encoder needs, in one place: which content blocks are open (by
 * Bedrock's `contentBlockIndex`), in what order they appeared, each tool call's argument buffer and each reasoning
 * block's text, signature and redacted bytes, the stop reason, the first usage, and the characters received (for
 * an output estimate when a stream is cut before `metadata`). `read` turns each event into steps in order; a door
 * renders the steps in its own shape (chat chunks, Responses events, Anthropic events). Pure.
 *
 * After `messageStop` only `metadata` is read (Converse sends usage last); blocks still open at `messageStop` are
 * stopped first. Tool input for a block that did not start as a tool call is a 502: the answer cannot be rebuilt.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import { estimateTokens, normalizeUsage, type NormalizedUsage } from "./usage";

export type ConverseBlock = {
  kind: "text" | "tool" | "reasoning";
  /** Order of appearance over all blocks, from 0 (Anthropic's `index`). */
  seq: number;
  toolUseId: string;
  name: string;
  /** Tool input received so far (JSON text, possibly partial). */
  args: string;
  /** Reasoning text, signature and redacted content received so far. */
  text: string;
  signature?: string;
  redacted?: string;
};

type ReasoningDelta = { text?: string; signature?: string; redactedContent?: string };

export type ConverseStep =
  /** The message began (messageStart, or the first content event when Bedrock skipped it). Once. */
  | { type: "start" }
  | { type: "toolStart"; block: ConverseBlock }
  /** `opened`: this delta created the block. */
  | { type: "text"; block: ConverseBlock; text: string; opened: boolean }
  | { type: "toolInput"; block: ConverseBlock; input: string }
  | { type: "reasoning"; block: ConverseBlock; delta: ReasoningDelta; opened: boolean }
  /** `reasoning`: the completed reasoning content of a reasoning block. */
  | { type: "blockStop"; block: ConverseBlock; reasoning?: ReasoningContentBlock }
  | { type: "messageStop"; stopReason: string | null }
  /** The first `metadata` event's usage; `afterStop` when messageStop came before it (as Converse sends them). */
  | { type: "usage"; usage: NormalizedUsage; afterStop: boolean };

export type ConverseReader = {
  read(event: ConverseStreamEvent): ConverseStep[];
  /** Throws `upstream_stream_truncated` when the stream ended before `messageStop`. */
  end(): void;
  readonly stopped: boolean;
  readonly stopReason: string | null;
  readonly usage: NormalizedUsage | null;
  /** Characters of text, tool input and reasoning text received. */
  readonly outputChars: number;
  /** About 4 characters per token, for streams cut before `metadata`. */
  readonly estimatedOutputTokens: number;
};

/** The reasoning content a finished reasoning block stands for, as Converse takes it back on the next turn. */
export function toReasoningContent(b: Pick<ConverseBlock, "text" | "signature" | "redacted">): ReasoningContentBlock {
  if (b.redacted !== undefined) return { redactedContent: b.redacted };
  return { reasoningText: b.signature !== undefined ? { text: b.text, signature: b.signature } : { text: b.text } };
}

/** Creates a reader for one stream: `read` each decoded event in order, then call `end` once. */
export function createConverseReader(): ConverseReader {
  const blocks = new Map<number, ConverseBlock>();
  let seq = 0;
  let started = false;
  let stopped = false;
  let stopReason: string | null = null;
  let usage: NormalizedUsage | null = null;
  let chars = 0;

  const start = (out: ConverseStep[]) => {
    if (started) return;
    started = true;
    out.push({ type: "start" });
  };

  const block = (i: number, kind: ConverseBlock["kind"], tool?: { toolUseId: string; name: string }): ConverseBlock => {
    const b: ConverseBlock = {
      kind,
      seq: seq++,
      toolUseId: tool?.toolUseId ?? "",
      name: tool?.name ?? "",
      args: "",
      text: "",
    };
    blocks.set(i, b);
    return b;
  };

  const stop = (i: number, out: ConverseStep[]) => {
    const b = blocks.get(i);
    if (!b) return;
    blocks.delete(i);
    out.push(b.kind === "reasoning" ? { type: "blockStop", block: b, reasoning: toReasoningContent(b) } : { type: "blockStop", block: b });
  };

  const delta = (i: number, d: Extract<ConverseStreamEvent, { type: "contentBlockDelta" }>["body"]["delta"], out: ConverseStep[]) => {
    if (typeof d.text === "string" && d.text !== "") {
      const found = blocks.get(i);
      const b = found ?? block(i, "text");
      chars += d.text.length;
      // A text block's text is not kept: every door sends the deltas on, and a long answer would stay in memory.
      out.push({ type: "text", block: b, text: d.text, opened: !found });
    } else if (d.toolUse) {
      const b = blocks.get(i);
      if (b?.kind !== "tool") {
        throw GatewayError.upstream(`Bedrock sent tool input for content block ${i} without starting a tool call.`, "upstream_invalid_response");
      }
      const s = d.toolUse.input;
      if (typeof s !== "string" || s === "") return; // Bedrock sometimes opens with an empty fragment.
      chars += s.length;
      b.args += s;
      out.push({ type: "toolInput", block: b, input: s });
    } else if (d.reasoningContent) {
      const found = blocks.get(i);
      const b = found ?? block(i, "reasoning");
      const r = d.reasoningContent;
      if (b.kind === "reasoning") {
        if (typeof r.text === "string") b.text += r.text;
        if (r.signature) b.signature = (b.signature ?? "") + r.signature;
        if (r.redactedContent) b.redacted = (b.redacted ?? "") + r.redactedContent;
      }
      if (typeof r.text === "string") chars += r.text.length;
      out.push({ type: "reasoning", block: b, delta: r, opened: !found });
    }
  };

  return {
    read(event) {
      const out: ConverseStep[] = [];
      if (stopped && event.type !== "metadata") return out;
      switch (event.type) {
        case "messageStart":
          start(out);
          break;
        case "contentBlockStart": {
          start(out);
          const tool = event.body.start?.toolUse;
          if (tool && !blocks.has(event.body.contentBlockIndex)) {
            out.push({ type: "toolStart", block: block(event.body.contentBlockIndex, "tool", { toolUseId: tool.toolUseId, name: tool.name }) });
          }
          break;
        }
        case "contentBlockDelta":
          start(out);
          delta(event.body.contentBlockIndex, event.body.delta ?? {}, out);
          break;
        case "contentBlockStop":
          stop(event.body.contentBlockIndex, out);
          break;
        case "messageStop":
          start(out);
          for (const i of [...blocks.keys()]) stop(i, out);
          stopReason = typeof event.body.stopReason === "string" ? event.body.stopReason : null;
          stopped = true;
          out.push({ type: "messageStop", stopReason });
          break;
        case "metadata":
          if (usage) break;
          usage = normalizeUsage(event.body.usage);
          out.push({ type: "usage", usage, afterStop: stopped });
          break;
        default: {
          const _never: never = event;
          void _never;
        }
      }
      return out;
    },
    end() {
      if (!stopped) throw GatewayError.upstream("Bedrock ended the stream early", "upstream_stream_truncated");
    },
    get stopped() {
      return stopped;
    },
    get stopReason() {
      return stopReason;
    },
    get usage() {
      return usage;
    },
    get outputChars() {
      return chars;
    },
    get estimatedOutputTokens() {
      return estimateTokens(chars);
    },
  };
}
