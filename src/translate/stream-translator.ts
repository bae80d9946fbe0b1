/**
 * ConverseStream events → `chat.completion.chunk` objects: a role chunk first, then content, reasoning and
 * tool-call deltas, one chunk with the finish reason, and the usage chunk last when the client asked for it
 * (OpenAI API reference, streaming `stream_options.include_usage`). Returns objects, never SSE text; the route
 * encodes them and writes `[DONE]`.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import { finishReason } from "./converse-to-openai";
import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from "./openai-types";
import { estimateTokens, normalizeUsage, toOpenAIUsage, type NormalizedUsage } from "./usage";

export type StreamMeta = {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
  jsonToolName?: string;
  /** The request used the deprecated `functions`: stream `delta.function_call` instead of `delta.tool_calls`. */
  legacyFunctions?: boolean;
};

export type StreamState = {
  /** Set by the `metadata` event; null until then (or if Bedrock never sent it). */
  readonly usage: NormalizedUsage | null;
  readonly stopReason: string | null;
  /** Completed reasoning blocks (signed text / redacted), for the gateway to keep for the next turn. */
  readonly reasoning: ReasoningContentBlock[];
  readonly toolCallIds: string[];
  /** Characters of text, reasoning and tool arguments received so far. */
  readonly outputChars: number;
  /** Rough output-token estimate (≈4 characters per token) for usage records of streams cut before `metadata`. */
  readonly estimatedOutputTokens: number;
};

export type StreamTranslator = {
  push(event: ConverseStreamEvent): ChatCompletionChunk[];
  finish(): ChatCompletionChunk[];
  readonly state: StreamState;
};

type Block =
  | { kind: "tool"; index: number; sawArgs: boolean }
  | { kind: "json"; sawArgs: boolean }
  | { kind: "function"; sawArgs: boolean }
  /** A legacy-functions call after the first: not sent (see `toLegacyFunctionCall` in converse-to-openai.ts). */
  | { kind: "dropped" }
  | { kind: "reasoning"; text: string; signature?: string; redacted?: string };

/** Creates a translator for one stream; `push` each decoded event in order, then call `finish` once. */
export function createStreamTranslator(meta: StreamMeta): StreamTranslator {
  const blocks = new Map<number, Block>();
  const reasoning: ReasoningContentBlock[] = [];
  const toolCallIds: string[] = [];
  let started = false;
  let finished = false;
  let usedJsonTool = false;
  let toolCalls = 0; // calls of real tools Bedrock made, sent or not
  let usage: NormalizedUsage | null = null;
  let stopReason: string | null = null;
  let outputChars = 0;

  const chunk = (delta: ChatCompletionChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk => {
    const c: ChatCompletionChunk = {
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (meta.includeUsage) c.usage = null;
    return c;
  };

  // The role chunk opens every stream, even if Bedrock skipped messageStart.
  const open = (out: ChatCompletionChunk[]) => {
    if (!started) out.push(chunk({ role: "assistant", content: "" }));
    started = true;
  };

  const onDelta = (i: number, d: Extract<ConverseStreamEvent, { type: "contentBlockDelta" }>["body"]["delta"], out: ChatCompletionChunk[]) => {
    if (typeof d.text === "string" && d.text !== "") {
      outputChars += d.text.length;
      out.push(chunk({ content: d.text }));
    } else if (d.toolUse) {
      const b = blocks.get(i);
      if (!b || b.kind === "reasoning") {
        throw GatewayError.upstream(`Bedrock sent tool input for content block ${i} without starting a tool call.`, "upstream_invalid_response");
      }
      const s = d.toolUse.input;
      if (typeof s !== "string" || s === "") return; // Bedrock sometimes opens with an empty fragment.
      outputChars += s.length; // dropped calls count too: Bedrock bills them
      if (b.kind === "dropped") return;
      b.sawArgs = true;
      if (b.kind === "json") out.push(chunk({ content: s }));
      else if (b.kind === "function") out.push(chunk({ function_call: { arguments: s } }));
      else out.push(chunk({ tool_calls: [{ index: b.index, function: { arguments: s } }] }));
    } else if (d.reasoningContent) {
      let b = blocks.get(i);
      if (!b) blocks.set(i, (b = { kind: "reasoning", text: "" }));
      if (b.kind !== "reasoning") return;
      const r = d.reasoningContent;
      if (typeof r.text === "string" && r.text !== "") {
        b.text += r.text;
        outputChars += r.text.length;
        out.push(chunk({ reasoning_content: r.text }));
      }
      if (r.signature) b.signature = (b.signature ?? "") + r.signature;
      if (r.redactedContent) b.redacted = (b.redacted ?? "") + r.redactedContent;
    }
  };

  const onStop = (i: number, out: ChatCompletionChunk[]) => {
    const b = blocks.get(i);
    if (!b) return;
    // A tool call without argument bytes still has to accumulate to valid JSON on the client.
    if (b.kind === "tool" && !b.sawArgs) out.push(chunk({ tool_calls: [{ index: b.index, function: { arguments: "{}" } }] }));
    if (b.kind === "function" && !b.sawArgs) out.push(chunk({ function_call: { arguments: "{}" } }));
    if (b.kind === "json" && !b.sawArgs) out.push(chunk({ content: "{}" }));
    if (b.kind === "reasoning") {
      if (b.redacted !== undefined) reasoning.push({ redactedContent: b.redacted });
      else reasoning.push({ reasoningText: b.signature !== undefined ? { text: b.text, signature: b.signature } : { text: b.text } });
    }
    blocks.delete(i);
  };

  const usageChunk = (): ChatCompletionChunk => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [],
    usage: toOpenAIUsage(usage!),
  });

  return {
    push(event) {
      const out: ChatCompletionChunk[] = [];
      if (finished && event.type !== "metadata") return out; // nothing but metadata follows messageStop
      switch (event.type) {
        case "messageStart":
          open(out);
          break;
        case "contentBlockStart": {
          open(out);
          const tool = event.body.start?.toolUse;
          if (!tool) break;
          if (meta.jsonToolName !== undefined && tool.name === meta.jsonToolName) {
            usedJsonTool = true;
            blocks.set(event.body.contentBlockIndex, { kind: "json", sawArgs: false });
            break;
          }
          // Dense index over tool calls only: never contentBlockIndex (OpenAI's accumulators key on it).
          const index = toolCalls++;
          if (meta.legacyFunctions) {
            // No id reaches a legacy client, so toolCallIds stays empty (as in toChatCompletion).
            blocks.set(event.body.contentBlockIndex, index === 0 ? { kind: "function", sawArgs: false } : { kind: "dropped" });
            if (index === 0) out.push(chunk({ function_call: { name: tool.name, arguments: "" } }));
            break;
          }
          toolCallIds.push(tool.toolUseId);
          blocks.set(event.body.contentBlockIndex, { kind: "tool", index, sawArgs: false });
          out.push(chunk({ tool_calls: [{ index, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } }] }));
          break;
        }
        case "contentBlockDelta":
          open(out);
          onDelta(event.body.contentBlockIndex, event.body.delta ?? {}, out);
          break;
        case "contentBlockStop":
          onStop(event.body.contentBlockIndex, out);
          break;
        case "messageStop":
          open(out);
          for (const i of [...blocks.keys()]) onStop(i, out);
          stopReason = typeof event.body.stopReason === "string" ? event.body.stopReason : null;
          finished = true;
          out.push(chunk({}, finishReason(stopReason, usedJsonTool, toolCalls, meta.legacyFunctions)));
          if (usage && meta.includeUsage) out.push(usageChunk());
          break;
        case "metadata":
          if (usage) break;
          usage = normalizeUsage(event.body.usage);
          // The usage chunk comes after the finish_reason chunk; if metadata arrives first it waits for messageStop.
          if (finished && meta.includeUsage) out.push(usageChunk());
          break;
        default: {
          const _never: never = event;
          void _never;
        }
      }
      return out;
    },
    finish() {
      if (!finished) throw GatewayError.upstream("Bedrock ended the stream early", "upstream_stream_truncated");
      return [];
    },
    state: {
      get usage() {
        return usage;
      },
      get stopReason() {
        return stopReason;
      },
      reasoning,
      toolCallIds,
      get outputChars() {
        return outputChars;
      },
      get estimatedOutputTokens() {
        return estimateTokens(outputChars);
      },
    },
  };
}
