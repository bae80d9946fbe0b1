/**
 * ConverseStream events → Responses stream events, in the order OpenAI documents
 * (https://platform.openai.com/docs/api-reference/responses-streaming) and openai-node's `ResponseStream`
 * accumulates them: `response.created`, `response.in_progress`, then per output item `output_item.added`, its
 * part and delta events, `output_item.done`, and `response.completed` (or `response.incomplete`) with usage.
 * Events are plain objects without `sequence_number` (the encoder numbers them); each carries its own copy of
 * the item, never a live reference.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../../bedrock/converse-types";
import { GatewayError } from "../../errors";
import { estimateTokens, normalizeUsage, type NormalizedUsage } from "../../translate/usage";
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
  | { kind: "reasoning"; index: number; item: ReasoningOutput; text: string; signature?: string; redacted?: string; summaryOpen: boolean };

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function createResponsesStreamTranslator(req: ResponsesRequest, meta: ResponseMeta & { inputEstimate: number }): ResponsesStreamTranslator {
  const output: OutputItem[] = [];
  const blocks = new Map<number, Open>();
  const reasoning: Record<string, ReasoningContentBlock[]> = {};
  let started = false;
  let finished = false;
  let final: ResponseObject | null = null;
  let usage: NormalizedUsage | null = null;
  let stopReason: string | null = null;
  let usedJsonTool = false;
  let toolCalls = 0;
  let outputChars = 0;
  let reasoningChars = 0;

  const snapshot = (): ResponseObject => ({ ...responseShell(req, meta), output: copy(output) });

  const open = (out: ResponsesEvent[]) => {
    if (started) return;
    started = true;
    const response = snapshot();
    out.push({ type: "response.created", response }, { type: "response.in_progress", response });
  };

  const add = (item: OutputItem, out: ResponsesEvent[]): number => {
    output.push(item);
    const index = output.length - 1;
    out.push({ type: "response.output_item.added", output_index: index, item: copy(item) });
    return index;
  };

  const openText = (i: number, out: ResponsesEvent[]): Extract<Open, { kind: "text" }> => {
    const b = blocks.get(i);
    if (b?.kind === "text") return b;
    const item: MessageOutput = { id: meta.newId("msg"), type: "message", status: "in_progress", role: "assistant", content: [] };
    const index = add(item, out);
    const part = { type: "output_text" as const, text: "", annotations: [] as [], logprobs: [] as [] };
    item.content.push(part);
    out.push({ type: "response.content_part.added", item_id: item.id, output_index: index, content_index: 0, part: copy(part) });
    const opened = { kind: "text" as const, index, item };
    blocks.set(i, opened);
    return opened;
  };

  const text = (i: number, delta: string, out: ResponsesEvent[]) => {
    const b = openText(i, out);
    b.item.content[0]!.text += delta;
    outputChars += delta.length;
    out.push({ type: "response.output_text.delta", item_id: b.item.id, output_index: b.index, content_index: 0, delta, logprobs: [] });
  };

  const onReasoning = (i: number, d: { text?: string; signature?: string; redactedContent?: string }, out: ResponsesEvent[]) => {
    let b = blocks.get(i);
    if (!b) {
      const item: ReasoningOutput = { id: meta.newId("rs"), type: "reasoning", summary: [] };
      b = { kind: "reasoning", index: add(item, out), item, text: "", summaryOpen: false };
      blocks.set(i, b);
    }
    if (b.kind !== "reasoning") return;
    if (typeof d.text === "string" && d.text !== "") {
      b.text += d.text;
      outputChars += d.text.length;
      reasoningChars += d.text.length;
      if (meta.summary) {
        if (!b.summaryOpen) {
          b.summaryOpen = true;
          b.item.summary.push({ type: "summary_text", text: "" });
          out.push({
            type: "response.reasoning_summary_part.added",
            item_id: b.item.id,
            output_index: b.index,
            summary_index: 0,
            part: { type: "summary_text", text: "" },
          });
        }
        b.item.summary[0]!.text += d.text;
        out.push({ type: "response.reasoning_summary_text.delta", item_id: b.item.id, output_index: b.index, summary_index: 0, delta: d.text });
      }
    }
    if (d.signature) b.signature = (b.signature ?? "") + d.signature;
    if (d.redactedContent) b.redacted = (b.redacted ?? "") + d.redactedContent;
  };

  const close = (i: number, out: ResponsesEvent[]) => {
    const b = blocks.get(i);
    if (!b) return;
    blocks.delete(i);
    const status = "completed" as const;
    if (b.kind === "text") {
      const part = b.item.content[0]!;
      if (b.json && part.text === "") {
        // The json tool called with no input: its answer is the empty object, as in a plain response.
        part.text = "{}";
        outputChars += 2;
        out.push({ type: "response.output_text.delta", item_id: b.item.id, output_index: b.index, content_index: 0, delta: "{}", logprobs: [] });
      }
      out.push({ type: "response.output_text.done", item_id: b.item.id, output_index: b.index, content_index: 0, text: part.text, logprobs: [] });
      out.push({ type: "response.content_part.done", item_id: b.item.id, output_index: b.index, content_index: 0, part: copy(part) });
      b.item.status = status;
    } else if (b.kind === "tool") {
      if (b.item.arguments === "") b.item.arguments = "{}";
      out.push({ type: "response.function_call_arguments.done", item_id: b.item.id, output_index: b.index, name: b.item.name, arguments: b.item.arguments });
      b.item.status = status;
    } else {
      reasoning[b.item.id] = [
        b.redacted !== undefined
          ? { redactedContent: b.redacted }
          : { reasoningText: b.signature !== undefined ? { text: b.text, signature: b.signature } : { text: b.text } },
      ];
      if (b.summaryOpen) {
        const part = b.item.summary[0]!;
        out.push({ type: "response.reasoning_summary_text.done", item_id: b.item.id, output_index: b.index, summary_index: 0, text: part.text });
        out.push({ type: "response.reasoning_summary_part.done", item_id: b.item.id, output_index: b.index, summary_index: 0, part: copy(part) });
      }
    }
    out.push({ type: "response.output_item.done", output_index: b.index, item: copy(b.item) });
  };

  const end = (out: ResponsesEvent[]) => {
    const status = statusFor(stopReason, usedJsonTool, toolCalls);
    if (status.status === "incomplete") markIncomplete(output);
    const u = usage ?? { inputTokens: meta.inputEstimate, outputTokens: estimateTokens(outputChars), cacheReadTokens: 0, cacheWriteTokens: 0 };
    final = { ...snapshot(), ...status, usage: toResponseUsage(u, reasoningChars) };
    out.push({ type: status.status === "incomplete" ? "response.incomplete" : "response.completed", response: final });
  };

  return {
    push(event) {
      const out: ResponsesEvent[] = [];
      if (final) return out;
      if (finished && event.type !== "metadata") return out;
      switch (event.type) {
        case "messageStart":
          open(out);
          break;
        case "contentBlockStart": {
          open(out);
          const tool = event.body.start?.toolUse;
          if (!tool) break;
          const i = event.body.contentBlockIndex;
          if (meta.jsonToolName !== undefined && tool.name === meta.jsonToolName) {
            usedJsonTool = true;
            openText(i, out).json = true;
            break;
          }
          toolCalls++;
          const item: FunctionCallOutput = {
            id: meta.newId("fc"),
            type: "function_call",
            status: "in_progress",
            call_id: tool.toolUseId,
            name: tool.name,
            arguments: "",
          };
          blocks.set(i, { kind: "tool", index: add(item, out), item });
          break;
        }
        case "contentBlockDelta": {
          open(out);
          const i = event.body.contentBlockIndex;
          const d = event.body.delta ?? {};
          if (typeof d.text === "string" && d.text !== "") text(i, d.text, out);
          else if (d.toolUse) {
            const b = blocks.get(i);
            if (!b || b.kind === "reasoning") {
              throw GatewayError.upstream(`Bedrock sent tool input for content block ${i} without starting a tool call.`, "upstream_invalid_response");
            }
            const s = d.toolUse.input;
            if (typeof s !== "string" || s === "") break;
            if (b.kind === "text") text(i, s, out);
            else {
              b.item.arguments += s;
              outputChars += s.length;
              out.push({ type: "response.function_call_arguments.delta", item_id: b.item.id, output_index: b.index, delta: s });
            }
          } else if (d.reasoningContent) onReasoning(i, d.reasoningContent, out);
          break;
        }
        case "contentBlockStop":
          close(event.body.contentBlockIndex, out);
          break;
        case "messageStop":
          open(out);
          for (const i of [...blocks.keys()]) close(i, out);
          stopReason = typeof event.body.stopReason === "string" ? event.body.stopReason : null;
          finished = true;
          if (usage) end(out);
          break;
        case "metadata":
          usage ??= normalizeUsage(event.body.usage);
          if (finished) end(out);
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
      const out: ResponsesEvent[] = [];
      if (!final) end(out);
      return out;
    },
    state: {
      get usage() {
        return usage;
      },
      get stopReason() {
        return stopReason;
      },
      reasoning,
      get final() {
        return final;
      },
      snapshot,
      get estimatedOutputTokens() {
        return estimateTokens(outputChars);
      },
    },
  };
}
