/**
 * ConverseStream events → Responses stream events, in the order OpenAI documents
 * (https://platform.openai.com/docs/api-reference/responses-streaming) and openai-node's `ResponseStream`
 * accumulates them: `response.created`, `response.in_progress`, then per output item `output_item.added`, its
 * part and delta events, `output_item.done`, and `response.completed` (or `response.incomplete`) with usage.
 * Events are plain objects without `sequence_number` (the encoder numbers them); each carries its own copy of
 * the item, never a live reference.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../../bedrock/converse-types";
import { type ConverseBlock, type ConverseStep, createConverseReader } from "../../translate/converse-reader";
import { estimateTokens, type NormalizedUsage } from "../../translate/usage";
import { markIncomplete, type ResponseMeta, responseShell, statusFor, toResponseUsage } from "./from-converse";
import type { FunctionCallOutput, MessageOutput, OutputItem, ReasoningOutput, ResponseObject, ResponsesEvent, ResponsesRequest } from "./schema";

export type ResponsesStreamState = {
  readonly usage: NormalizedUsage | null;
  readonly stopReason: string | null;
  /** Signed thinking blocks by reasoning item id. */
  readonly reasoning: Record<string, ReasoningContentBlock[]>;
  /** The final response (completed or incomplete) once it was sent. */
  readonly final: ResponseObject | null;
  /** The response so far, for `response.failed`. */
  snapshot(): ResponseObject;
  readonly estimatedOutputTokens: number;
};

export type ResponsesStreamTranslator = {
  push(event: ConverseStreamEvent): ResponsesEvent[];
  finish(): ResponsesEvent[];
  readonly state: ResponsesStreamState;
};

type Open =
  | { kind: "text"; index: number; item: MessageOutput; json?: boolean }
  | { kind: "tool"; index: number; item: FunctionCallOutput }
  | { kind: "reasoning"; index: number; item: ReasoningOutput; summaryOpen: boolean };

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function createResponsesStreamTranslator(req: ResponsesRequest, meta: ResponseMeta & { inputEstimate: number }): ResponsesStreamTranslator {
  const reader = createConverseReader();
  const output: OutputItem[] = [];
  /** The output item each open Converse block writes to. */
  const items = new Map<ConverseBlock, Open>();
  const reasoning: Record<string, ReasoningContentBlock[]> = {};
  let final: ResponseObject | null = null;
  let usedJsonTool = false;
  let toolCalls = 0;
  // The "{}" answer of a json tool called without input is output the client receives, not a Converse delta.
  let extraChars = 0;
  let reasoningChars = 0;

  const snapshot = (): ResponseObject => ({ ...responseShell(req, meta), output: copy(output) });

  const add = (item: OutputItem, out: ResponsesEvent[]): number => {
    output.push(item);
    const index = output.length - 1;
    out.push({ type: "response.output_item.added", output_index: index, item: copy(item) });
    return index;
  };

  const openText = (b: ConverseBlock, out: ResponsesEvent[]): Extract<Open, { kind: "text" }> => {
    const found = items.get(b);
    if (found?.kind === "text") return found;
    const item: MessageOutput = { id: meta.newId("msg"), type: "message", status: "in_progress", role: "assistant", content: [] };
    const index = add(item, out);
    const part = { type: "output_text" as const, text: "", annotations: [] as [], logprobs: [] as [] };
    item.content.push(part);
    out.push({ type: "response.content_part.added", item_id: item.id, output_index: index, content_index: 0, part: copy(part) });
    const opened = { kind: "text" as const, index, item };
    items.set(b, opened);
    return opened;
  };

  const text = (b: ConverseBlock, delta: string, out: ResponsesEvent[]) => {
    const o = openText(b, out);
    o.item.content[0]!.text += delta;
    out.push({ type: "response.output_text.delta", item_id: o.item.id, output_index: o.index, content_index: 0, delta, logprobs: [] });
  };

  const toolStart = (b: ConverseBlock, out: ResponsesEvent[]) => {
    if (meta.jsonToolName !== undefined && b.name === meta.jsonToolName) {
      usedJsonTool = true;
      openText(b, out).json = true;
      return;
    }
    toolCalls++;
    const item: FunctionCallOutput = { id: meta.newId("fc"), type: "function_call", status: "in_progress", call_id: b.toolUseId, name: b.name, arguments: "" };
    items.set(b, { kind: "tool", index: add(item, out), item });
  };

  const toolInput = (b: ConverseBlock, s: string, out: ResponsesEvent[]) => {
    const o = items.get(b);
    if (o?.kind === "text") text(b, s, out);
    else if (o?.kind === "tool") {
      o.item.arguments += s;
      out.push({ type: "response.function_call_arguments.delta", item_id: o.item.id, output_index: o.index, delta: s });
    }
  };

  const onReasoning = (b: ConverseBlock, d: { text?: string }, out: ResponsesEvent[]) => {
    let o = items.get(b);
    if (!o) {
      const item: ReasoningOutput = { id: meta.newId("rs"), type: "reasoning", summary: [] };
      o = { kind: "reasoning", index: add(item, out), item, summaryOpen: false };
      items.set(b, o);
    }
    if (o.kind !== "reasoning" || typeof d.text !== "string" || d.text === "") return;
    reasoningChars += d.text.length;
    if (!meta.summary) return;
    if (!o.summaryOpen) {
      o.summaryOpen = true;
      o.item.summary.push({ type: "summary_text", text: "" });
      out.push({
        type: "response.reasoning_summary_part.added",
        item_id: o.item.id,
        output_index: o.index,
        summary_index: 0,
        part: { type: "summary_text", text: "" },
      });
    }
    o.item.summary[0]!.text += d.text;
    out.push({ type: "response.reasoning_summary_text.delta", item_id: o.item.id, output_index: o.index, summary_index: 0, delta: d.text });
  };

  const close = (b: ConverseBlock, done: ReasoningContentBlock | undefined, out: ResponsesEvent[]) => {
    const o = items.get(b);
    if (!o) return;
    items.delete(b);
    const status = "completed" as const;
    if (o.kind === "text") {
      const part = o.item.content[0]!;
      if (o.json && part.text === "") {
        // The json tool called with no input: its answer is the empty object, as in a plain response.
        part.text = "{}";
        extraChars += 2;
        out.push({ type: "response.output_text.delta", item_id: o.item.id, output_index: o.index, content_index: 0, delta: "{}", logprobs: [] });
      }
      out.push({ type: "response.output_text.done", item_id: o.item.id, output_index: o.index, content_index: 0, text: part.text, logprobs: [] });
      out.push({ type: "response.content_part.done", item_id: o.item.id, output_index: o.index, content_index: 0, part: copy(part) });
      o.item.status = status;
    } else if (o.kind === "tool") {
      if (o.item.arguments === "") o.item.arguments = "{}";
      out.push({ type: "response.function_call_arguments.done", item_id: o.item.id, output_index: o.index, name: o.item.name, arguments: o.item.arguments });
      o.item.status = status;
    } else {
      if (done) reasoning[o.item.id] = [done];
      if (o.summaryOpen) {
        const part = o.item.summary[0]!;
        out.push({ type: "response.reasoning_summary_text.done", item_id: o.item.id, output_index: o.index, summary_index: 0, text: part.text });
        out.push({ type: "response.reasoning_summary_part.done", item_id: o.item.id, output_index: o.index, summary_index: 0, part: copy(part) });
      }
    }
    out.push({ type: "response.output_item.done", output_index: o.index, item: copy(o.item) });
  };

  const end = (out: ResponsesEvent[]) => {
    const status = statusFor(reader.stopReason, usedJsonTool, toolCalls);
    if (status.status === "incomplete") markIncomplete(output);
    const u = reader.usage ?? {
      inputTokens: meta.inputEstimate,
      outputTokens: estimateTokens(reader.outputChars + extraChars),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    final = { ...snapshot(), ...status, usage: toResponseUsage(u, reasoningChars) };
    out.push({ type: status.status === "incomplete" ? "response.incomplete" : "response.completed", response: final });
  };

  const step = (s: ConverseStep, out: ResponsesEvent[]) => {
    switch (s.type) {
      case "start": {
        const response = snapshot();
        out.push({ type: "response.created", response }, { type: "response.in_progress", response });
        return;
      }
      case "toolStart":
        toolStart(s.block, out);
        return;
      case "text":
        text(s.block, s.text, out);
        return;
      case "toolInput":
        toolInput(s.block, s.input, out);
        return;
      case "reasoning":
        onReasoning(s.block, s.delta, out);
        return;
      case "blockStop":
        close(s.block, s.reasoning, out);
        return;
      case "messageStop":
        if (reader.usage) end(out);
        return;
      case "usage":
        if (s.afterStop) end(out);
        return;
      default: {
        const _never: never = s;
        void _never;
      }
    }
  };

  return {
    push(event) {
      const out: ResponsesEvent[] = [];
      if (final) return out;
      for (const s of reader.read(event)) step(s, out);
      return out;
    },
    finish() {
      reader.end();
      const out: ResponsesEvent[] = [];
      if (!final) end(out);
      return out;
    },
    state: {
      get usage() {
        return reader.usage;
      },
      get stopReason() {
        return reader.stopReason;
      },
      reasoning,
      get final() {
        return final;
      },
      snapshot,
      get estimatedOutputTokens() {
        return estimateTokens(reader.outputChars + extraChars);
      },
    },
  };
}
