/**
 * ConverseStream events → `chat.completion.chunk` objects: a role chunk first, then content, reasoning and
 * tool-call deltas, one chunk with the finish reason, and the usage chunk last when the client asked for it
 * (OpenAI API reference, streaming `stream_options.include_usage`). Returns objects, never SSE text; the route
 * encodes them and writes `[DONE]`.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../bedrock/converse-types";
import { type ConverseBlock, type ConverseReader, type ConverseStep, createConverseReader } from "./converse-reader";
import { finishReason } from "./converse-to-openai";
import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from "./openai-types";
import { toOpenAIUsage, type NormalizedUsage } from "./usage";

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

/** How a tool block reaches the client. */
type ToolKind =
  | { kind: "tool"; index: number }
  | { kind: "json" }
  | { kind: "function" }
  /** A legacy-functions call after the first: not sent (see `toLegacyFunctionCall` in converse-to-openai.ts). */
  | { kind: "dropped" };

/** Creates a translator for one stream; `push` each decoded event in order, then call `finish` once. */
export function createStreamTranslator(meta: StreamMeta): StreamTranslator {
  const reader = createConverseReader();
  const tools = new Map<ConverseBlock, ToolKind>();
  const reasoning: ReasoningContentBlock[] = [];
  const toolCallIds: string[] = [];
  let usedJsonTool = false;
  let toolCalls = 0; // calls of real tools Bedrock made, sent or not

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

  const usageChunk = (): ChatCompletionChunk => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [],
    usage: toOpenAIUsage(reader.usage!),
  });

  const toolStart = (b: ConverseBlock, out: ChatCompletionChunk[]) => {
    if (meta.jsonToolName !== undefined && b.name === meta.jsonToolName) {
      usedJsonTool = true;
      tools.set(b, { kind: "json" });
      return;
    }
    // Dense index over tool calls only: never contentBlockIndex (OpenAI's accumulators key on it).
    const index = toolCalls++;
    if (meta.legacyFunctions) {
      // No id reaches a legacy client, so toolCallIds stays empty (as in toChatCompletion).
      tools.set(b, index === 0 ? { kind: "function" } : { kind: "dropped" });
      if (index === 0) out.push(chunk({ function_call: { name: b.name, arguments: "" } }));
      return;
    }
    toolCallIds.push(b.toolUseId);
    tools.set(b, { kind: "tool", index });
    out.push(chunk({ tool_calls: [{ index, id: b.toolUseId, type: "function", function: { name: b.name, arguments: "" } }] }));
  };

  const toolInput = (t: ToolKind, s: string, out: ChatCompletionChunk[]) => {
    if (t.kind === "json") out.push(chunk({ content: s }));
    else if (t.kind === "function") out.push(chunk({ function_call: { arguments: s } }));
    else if (t.kind === "tool") out.push(chunk({ tool_calls: [{ index: t.index, function: { arguments: s } }] }));
  };

  const step = (s: ConverseStep, out: ChatCompletionChunk[]) => {
    switch (s.type) {
      case "start":
        // The role chunk opens every stream, even if Bedrock skipped messageStart.
        out.push(chunk({ role: "assistant", content: "" }));
        return;
      case "toolStart":
        toolStart(s.block, out);
        return;
      case "text":
        out.push(chunk({ content: s.text }));
        return;
      case "toolInput":
        toolInput(tools.get(s.block)!, s.input, out);
        return;
      case "reasoning":
        if (s.block.kind === "reasoning" && typeof s.delta.text === "string" && s.delta.text !== "") out.push(chunk({ reasoning_content: s.delta.text }));
        return;
      case "blockStop": {
        if (s.reasoning) reasoning.push(s.reasoning);
        // A tool call without argument bytes still has to accumulate to valid JSON on the client.
        const t = tools.get(s.block);
        if (t && t.kind !== "dropped" && s.block.args === "") toolInput(t, "{}", out);
        tools.delete(s.block);
        return;
      }
      case "messageStop":
        out.push(chunk({}, finishReason(s.stopReason, usedJsonTool, toolCalls, meta.legacyFunctions)));
        if (reader.usage && meta.includeUsage) out.push(usageChunk());
        return;
      case "usage":
        // The usage chunk comes after the finish_reason chunk; if metadata arrives first it waits for messageStop.
        if (s.afterStop && meta.includeUsage) out.push(usageChunk());
        return;
      default: {
        const _never: never = s;
        void _never;
      }
    }
  };

  return {
    push(event) {
      const out: ChatCompletionChunk[] = [];
      for (const s of reader.read(event)) step(s, out);
      return out;
    },
    finish() {
      reader.end();
      return [];
    },
    state: new ReaderState(reader, reasoning, toolCallIds),
  };
}

/** The translator's state as the route reads it: the reader's fields, seen through one small object per stream. */
class ReaderState implements StreamState {
  constructor(
    private readonly reader: ConverseReader,
    readonly reasoning: ReasoningContentBlock[],
    readonly toolCallIds: string[],
  ) {}

  get usage(): NormalizedUsage | null {
    return this.reader.usage;
  }

  get stopReason(): string | null {
    return this.reader.stopReason;
  }

  get outputChars(): number {
    return this.reader.outputChars;
  }

  get estimatedOutputTokens(): number {
    return this.reader.estimatedOutputTokens;
  }
}
