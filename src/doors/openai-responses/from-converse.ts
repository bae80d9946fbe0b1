/**
 * Converse response → a Responses `response` object: reasoning blocks become a `reasoning` item, text a
 * `message` item with `output_text`, toolUse blocks `function_call` items, in Bedrock's order. A response cut by
 * the token limit or a content filter is `incomplete` with its reason, as OpenAI documents
 * (https://platform.openai.com/docs/api-reference/responses/object).
 */
import type { ContentBlock, ConverseResponse, ReasoningContentBlock } from "../../bedrock/converse-types";
import { GatewayError } from "../../errors";
import { finishReason } from "../../translate/converse-to-openai";
import { estimateTokens, normalizeUsage, type NormalizedUsage } from "../../translate/usage";
import type { OutputItem, ReasoningOutput, ResponseObject, ResponsesRequest, ResponseStatus, ResponseUsage } from "./schema";

export type ResponseMeta = {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  /** The tool standing in for json output (translate/response-format.ts): its input is the answer's text. */
  jsonToolName?: string;
  /** Reasoning text is shown as the item's summary only when the request asked for a summary. */
  summary: boolean;
  /** Item ids (`msg_…`, `fc_…`, `rs_…`); injected so translation stays pure. */
  newId(prefix: "msg" | "fc" | "rs"): string;
};

export type TranslatedResponse = {
  response: ResponseObject;
  /** The signed thinking blocks of each reasoning item, by item id: sealed for the client, kept for storage. */
  reasoning: Record<string, ReasoningContentBlock[]>;
  usage: NormalizedUsage;
  stopReason: string | null;
};

/** The response object before any output: what `response.created` carries, and the base of the final one. */
export function responseShell(req: ResponsesRequest, meta: Pick<ResponseMeta, "id" | "createdAt" | "model">): ResponseObject {
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: meta.model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: req.store !== false,
    temperature: req.temperature ?? null,
    text: { format: (req.text?.format as Record<string, unknown> | undefined) ?? { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: "disabled",
    usage: null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

/**
 * OpenAI's usage arithmetic: `input_tokens` counts every input token, cached ones included (Bedrock's
 * `inputTokens` excludes cache reads and writes); `cached_tokens` is the cache-read part. Bedrock does not count
 * reasoning tokens apart, so `reasoning_tokens` is estimated from the reasoning text (within output_tokens).
 */
export function toResponseUsage(u: NormalizedUsage, reasoningChars: number): ResponseUsage {
  const input = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheReadTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: Math.min(u.outputTokens, estimateTokens(reasoningChars)) },
    total_tokens: input + u.outputTokens,
  };
}

/** Bedrock's stop reason → the response's status and `incomplete_details`. */
export function statusFor(stopReason: string | null, answeredViaJsonTool: boolean, toolCalls: number): Pick<ResponseObject, "status" | "incomplete_details"> {
  const reason = finishReason(stopReason, answeredViaJsonTool, toolCalls);
  if (reason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (reason === "content_filter") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** Builds the whole response of a plain (not streamed) call. */
export function fromConverseResponse(req: ResponsesRequest, res: ConverseResponse, meta: ResponseMeta): TranslatedResponse {
  const message = res.output?.message;
  if (!message || !Array.isArray(message.content)) {
    throw GatewayError.upstream("Bedrock returned a response without an output message.", "upstream_invalid_response");
  }
  const output: OutputItem[] = [];
  const reasoning: Record<string, ReasoningContentBlock[]> = {};
  let reasoningChars = 0;
  let usedJsonTool = false;
  let toolCalls = 0;
  const last = () => output[output.length - 1];
  const appendText = (text: string) => {
    const prev = last();
    if (prev?.type === "message") prev.content[0]!.text += text;
    else
      output.push({
        id: meta.newId("msg"),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
      });
  };
  for (const block of message.content as ContentBlock[]) {
    if ("text" in block && typeof block.text === "string") {
      if (block.text !== "") appendText(block.text);
    } else if ("toolUse" in block) {
      const args = JSON.stringify(block.toolUse.input ?? {});
      if (meta.jsonToolName !== undefined && block.toolUse.name === meta.jsonToolName) {
        usedJsonTool = true;
        appendText(args);
      } else {
        toolCalls++;
        output.push({
          id: meta.newId("fc"),
          type: "function_call",
          status: "completed",
          call_id: block.toolUse.toolUseId,
          name: block.toolUse.name,
          arguments: args,
        });
      }
    } else if ("reasoningContent" in block) {
      const r = block.reasoningContent;
      let item = last();
      if (item?.type !== "reasoning") {
        item = { id: meta.newId("rs"), type: "reasoning", summary: [] } satisfies ReasoningOutput;
        output.push(item);
        reasoning[item.id] = [];
      }
      reasoning[item.id]!.push(r);
      if ("reasoningText" in r && r.reasoningText.text) {
        reasoningChars += r.reasoningText.text.length;
        if (meta.summary) item.summary.push({ type: "summary_text", text: r.reasoningText.text });
      }
    }
  }
  const stopReason = typeof res.stopReason === "string" ? res.stopReason : null;
  const usage = normalizeUsage(res.usage);
  const status = statusFor(stopReason, usedJsonTool, toolCalls);
  if (status.status === "incomplete") markIncomplete(output);
  const response: ResponseObject = { ...responseShell(req, meta), ...status, output, usage: toResponseUsage(usage, reasoningChars) };
  return { response, reasoning, usage, stopReason };
}

/** The item a cut response ended in is incomplete too. */
export function markIncomplete(output: OutputItem[]): void {
  const item = output[output.length - 1];
  if (item && item.type !== "reasoning") item.status = "incomplete";
}

export function isFinal(status: ResponseStatus): boolean {
  return status !== "in_progress";
}
