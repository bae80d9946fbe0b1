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

/**
 * Creates a reader for one stream: `read` each decoded event in order, then call `end` once. A class, so an open
 * stream holds one object and its block map, not a closure and a context per helper and getter.
 */
export function createConverseReader(): ConverseReader {
  return new Reader();
}

type Delta = Extract<ConverseStreamEvent, { type: "contentBlockDelta" }>["body"]["delta"];

class Reader implements ConverseReader {
  private readonly blocks = new Map<number, ConverseBlock>();
  private seq = 0;
  private started = false;
  stopped = false;
  stopReason: string | null = null;
  usage: NormalizedUsage | null = null;
  outputChars = 0;

  get estimatedOutputTokens(): number {
    return estimateTokens(this.outputChars);
  }

  read(event: ConverseStreamEvent): ConverseStep[] {
    const out: ConverseStep[] = [];
    if (this.stopped && event.type !== "metadata") return out;
    switch (event.type) {
      case "messageStart":
        this.start(out);
        break;
      case "contentBlockStart": {
        this.start(out);
        const tool = event.body.start?.toolUse;
        if (tool && !this.blocks.has(event.body.contentBlockIndex)) {
          out.push({ type: "toolStart", block: this.block(event.body.contentBlockIndex, "tool", { toolUseId: tool.toolUseId, name: tool.name }) });
        }
        break;
      }
      case "contentBlockDelta":
        this.start(out);
        this.delta(event.body.contentBlockIndex, event.body.delta ?? {}, out);
        break;
      case "contentBlockStop":
        this.stop(event.body.contentBlockIndex, out);
        break;
      case "messageStop":
        this.start(out);
        for (const i of [...this.blocks.keys()]) this.stop(i, out);
        this.stopReason = typeof event.body.stopReason === "string" ? event.body.stopReason : null;
        this.stopped = true;
        out.push({ type: "messageStop", stopReason: this.stopReason });
        break;
      case "metadata":
        if (this.usage) break;
        this.usage = normalizeUsage(event.body.usage);
        out.push({ type: "usage", usage: this.usage, afterStop: this.stopped });
        break;
      default: {
        const _never: never = event;
        void _never;
      }
    }
    return out;
  }

  end(): void {
    if (!this.stopped) throw GatewayError.upstream("Bedrock ended the stream early", "upstream_stream_truncated");
  }

  private start(out: ConverseStep[]): void {
    if (this.started) return;
    this.started = true;
    out.push({ type: "start" });
  }

  private block(i: number, kind: ConverseBlock["kind"], tool?: { toolUseId: string; name: string }): ConverseBlock {
    const b: ConverseBlock = {
      kind,
      seq: this.seq++,
      toolUseId: tool?.toolUseId ?? "",
      name: tool?.name ?? "",
      args: "",
      text: "",
    };
    this.blocks.set(i, b);
    return b;
  }

  private stop(i: number, out: ConverseStep[]): void {
    const b = this.blocks.get(i);
    if (!b) return;
    this.blocks.delete(i);
    out.push(b.kind === "reasoning" ? { type: "blockStop", block: b, reasoning: toReasoningContent(b) } : { type: "blockStop", block: b });
  }

  private delta(i: number, d: Delta, out: ConverseStep[]): void {
    if (typeof d.text === "string" && d.text !== "") {
      const found = this.blocks.get(i);
      const b = found ?? this.block(i, "text");
      this.outputChars += d.text.length;
      // A text block's text is not kept: every door sends the deltas on, and a long answer would stay in memory.
      out.push({ type: "text", block: b, text: d.text, opened: !found });
    } else if (d.toolUse) {
      const b = this.blocks.get(i);
      if (b?.kind !== "tool") {
        throw GatewayError.upstream(`Bedrock sent tool input for content block ${i} without starting a tool call.`, "upstream_invalid_response");
      }
      const s = d.toolUse.input;
      if (typeof s !== "string" || s === "") return; // Bedrock sometimes opens with an empty fragment.
      this.outputChars += s.length;
      b.args += s;
      out.push({ type: "toolInput", block: b, input: s });
    } else if (d.reasoningContent) {
      const found = this.blocks.get(i);
      const b = found ?? this.block(i, "reasoning");
      const r = d.reasoningContent;
      if (b.kind === "reasoning") {
        if (typeof r.text === "string") b.text += r.text;
        if (r.signature) b.signature = (b.signature ?? "") + r.signature;
        if (r.redactedContent) b.redacted = (b.redacted ?? "") + r.redactedContent;
      }
      if (typeof r.text === "string") this.outputChars += r.text.length;
      out.push({ type: "reasoning", block: b, delta: r, opened: !found });
    }
  }
}
