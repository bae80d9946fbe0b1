/**
 * InvokeModel, InvokeModelWithResponseStream and CountTokens for Claude's Anthropic body. The body is checked and
 * read as a Converse request (sim/anthropic-body.ts), answered by the same reply rules (sim/behaviour.ts), and
 * written back in Anthropic's shapes:
 *   InvokeModel      the Anthropic message (`msg_bdrk_…` id, `toolu_bdrk_…` tool ids), with the
 *                    X-Amzn-Bedrock-Input/Output-Token-Count headers (and the cache ones when caching applied);
 *   …WithResponse-   `chunk` events whose `bytes` are base64 of Anthropic's stream events (message_start,
 *   Stream           content_block_start/delta/stop, message_delta, message_stop), the last one carrying
 *                    `amazon-bedrock-invocationMetrics`; the frame-level fault directives apply (truncate-after,
 *                    reset-after, corrupt-*, delay, ttfb, and stream-error-after=0:type, an exception instead of the first frame);
 *   CountTokens      `{"input":{"invokeModel":{"body":"<base64>"}}}` on a foundation model id → `{"inputTokens"}`.
 */
import { randomBytes } from "node:crypto";
import { readAnthropicBody } from "./anthropic-body";
import { directiveTexts, generateReply, lastUserMessage, type Reply, type ReplyBlock } from "./behaviour";
import { parseDirectives } from "./directives";
import { validation } from "./errors";
import { SIM_MODELS, type SimModel } from "./models";
import { type OperationContext, requireJson, sendJson, simulatedFailure, waitTtfb } from "./operations";
import type { StreamEvent } from "./stream";
import { writeStream } from "./stream";
import { PromptCache } from "./usage";
import { validateConverse } from "./validate";
import { isObj, type ConverseBody } from "./wire";

const id = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url").slice(0, 24)}`;
/** `anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5-20250929`, the name Claude reports. */
const anthropicModelName = (m: SimModel) => m.id.replace(/^anthropic\./, "").replace(/-v\d+(:\d+)?$/, "");
const toolId = (simId: string) => `toolu_bdrk_${simId.replace(/^tooluse_/, "")}`;

function outputBlock(b: ReplyBlock): Record<string, unknown> {
  if ("text" in b) return { type: "text", text: b.text };
  if ("reasoningContent" in b)
    return { type: "thinking", thinking: b.reasoningContent.reasoningText.text, signature: b.reasoningContent.reasoningText.signature };
  return { type: "tool_use", id: toolId(b.toolUse.toolUseId), name: b.toolUse.name, input: b.toolUse.input };
}

/** The stop sequence that cut the reply: the earliest found in the uncut text (Anthropic's `stop_sequence`). */
function matchedStop(reply: Reply, uncut: Reply, stops: string[] | undefined): string | null {
  if (reply.stopReason !== "stop_sequence" || !stops?.length) return null;
  const text = uncut.content.map((b) => ("text" in b ? b.text : "")).join("");
  let best: { at: number; s: string } | null = null;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (!best || at < best.at)) best = { at, s };
  }
  return best?.s ?? null;
}

type Answer = { model: SimModel; body: ConverseBody; reply: Reply; stopSequence: string | null; directives: ReturnType<typeof parseDirectives>["directives"] };

async function answer(ctx: OperationContext): Promise<Answer | null> {
  if (ctx.model.provider !== "Anthropic" || ctx.model.kind !== "chat") {
    throw validation(
      "Malformed input request: this simulator answers InvokeModel with Anthropic's Messages body for Claude models only, please reformat your input and try again.",
    );
  }
  const raw = requireJson(ctx);
  const body = readAnthropicBody(raw);
  const req = validateConverse(body, ctx.model);
  const { texts, textBlocks } = directiveTexts(lastUserMessage(req.body.messages));
  const { directives, cleaned } = parseDirectives(texts);
  if (await waitTtfb(ctx, directives.ttfbMs)) return null;
  const failure = simulatedFailure(directives, ctx.state);
  if (failure) throw failure;
  const input = ctx.state.cache.measure(ctx.model.id, req.body);
  const cleanedText = cleaned
    .slice(0, textBlocks)
    .filter((t) => t.length > 0)
    .join("\n");
  const replyCtx = { req, model: ctx.model, directives, cleanedText, rawBody: raw, input };
  const reply = generateReply(replyCtx);
  const stops = req.body.inferenceConfig?.stopSequences;
  const uncut = stops?.length
    ? generateReply({ ...replyCtx, req: { ...req, body: { ...req.body, inferenceConfig: { ...req.body.inferenceConfig, stopSequences: [] } } } })
    : reply;
  return { model: ctx.model, body: req.body, reply, stopSequence: matchedStop(reply, uncut, stops), directives };
}

function usageOf(reply: Reply) {
  return {
    input_tokens: reply.usage.inputTokens,
    cache_creation_input_tokens: reply.usage.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: reply.usage.cacheReadInputTokens ?? 0,
    output_tokens: reply.usage.outputTokens,
  };
}

export async function invokeAnthropic(ctx: OperationContext): Promise<void> {
  const a = await answer(ctx);
  if (!a) return;
  const { reply } = a;
  const message = {
    id: id("msg_bdrk_"),
    type: "message",
    role: "assistant",
    model: anthropicModelName(a.model),
    content: a.directives.noOutput ? [] : reply.content.map(outputBlock),
    stop_reason: reply.stopReason,
    stop_sequence: a.stopSequence,
    usage: usageOf(reply),
  };
  const headers: Record<string, string | number> = {
    "X-Amzn-Bedrock-Input-Token-Count": reply.usage.inputTokens,
    "X-Amzn-Bedrock-Output-Token-Count": reply.usage.outputTokens,
    "X-Amzn-Bedrock-Invocation-Latency": Date.now() - ctx.startedAt,
  };
  if (reply.usage.cacheReadInputTokens !== undefined) headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = reply.usage.cacheReadInputTokens;
  if (reply.usage.cacheWriteInputTokens !== undefined) headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = reply.usage.cacheWriteInputTokens;
  sendJson(ctx.res, 200, message, headers);
}

const chunk = (event: Record<string, unknown>): StreamEvent => ({
  type: "chunk",
  payload: { bytes: Buffer.from(JSON.stringify(event), "utf8").toString("base64") },
});

/** Two words per text delta, nine characters per tool-input fragment (Claude sends an empty first fragment). */
function blockEvents(b: ReplyBlock, index: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const delta = (d: Record<string, unknown>) => out.push({ type: "content_block_delta", index, delta: d });
  const words = (s: string) => s.match(/\s*\S+\s*\S*|\s+$/g) ?? [s];
  if ("text" in b) {
    out.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
    for (const w of words(b.text)) delta({ type: "text_delta", text: w });
  } else if ("reasoningContent" in b) {
    out.push({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } });
    const { text, signature } = b.reasoningContent.reasoningText;
    for (const w of words(text)) delta({ type: "thinking_delta", thinking: w });
    delta({ type: "signature_delta", signature });
  } else {
    out.push({ type: "content_block_start", index, content_block: { type: "tool_use", id: toolId(b.toolUse.toolUseId), name: b.toolUse.name, input: {} } });
    const json = JSON.stringify(b.toolUse.input);
    delta({ type: "input_json_delta", partial_json: "" });
    if (json !== "{}") for (let i = 0; i < json.length; i += 9) delta({ type: "input_json_delta", partial_json: json.slice(i, i + 9) });
  }
  out.push({ type: "content_block_stop", index });
  return out;
}

export async function invokeAnthropicStream(ctx: OperationContext): Promise<void> {
  const a = await answer(ctx);
  if (!a) return;
  const { reply } = a;
  const usage = usageOf(reply);
  const blocks = a.directives.noOutput ? [] : reply.content;
  const events = [
    {
      type: "message_start",
      message: {
        id: id("msg_bdrk_"),
        type: "message",
        role: "assistant",
        model: anthropicModelName(a.model),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    },
    ...blocks.flatMap(blockEvents),
    { type: "message_delta", delta: { stop_reason: reply.stopReason, stop_sequence: a.stopSequence }, usage: { output_tokens: usage.output_tokens } },
  ].map(chunk);
  const latency = () => Date.now() - ctx.startedAt;
  // Read when the last frame is encoded, so the latency covers the whole stream.
  events.push({
    type: "chunk",
    get payload() {
      const metrics: Record<string, number> = {
        inputTokenCount: usage.input_tokens,
        outputTokenCount: usage.output_tokens,
        invocationLatency: latency(),
        firstByteLatency: latency(),
      };
      if (reply.usage.cacheReadInputTokens !== undefined) metrics.cacheReadInputTokenCount = usage.cache_read_input_tokens;
      if (reply.usage.cacheWriteInputTokens !== undefined) metrics.cacheWriteInputTokenCount = usage.cache_creation_input_tokens;
      return chunk({ type: "message_stop", "amazon-bedrock-invocationMetrics": metrics }).payload;
    },
  });
  const { stats } = ctx.state;
  stats.streamsStarted++;
  stats.openStreams++;
  ctx.res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "X-Amzn-Bedrock-Content-Type": "application/json" });
  ctx.res.flushHeaders();
  ctx.entry.status = 200;
  try {
    const outcome = await writeStream(ctx.res, events, a.directives, ctx.signal);
    ctx.entry.outcome = outcome;
    if (outcome === "completed") stats.streamsCompleted++;
    else if (outcome === "cancelled") stats.streamsCancelled++;
    else stats.streamsFaulted++;
  } finally {
    stats.openStreams--;
  }
}

/** CountTokens: foundation model ids only (no inference profiles), Claude models only. */
export async function countTokens(ctx: OperationContext): Promise<void> {
  if (!SIM_MODELS.some((m) => m.id === ctx.entry.modelId)) throw validation("The provided model identifier is invalid.");
  if (ctx.model.provider !== "Anthropic" || ctx.model.kind !== "chat") throw validation("The provided model doesn't support counting tokens.");
  const raw = requireJson(ctx);
  const encoded = isObj(raw) && isObj(raw.input) && isObj(raw.input.invokeModel) ? raw.input.invokeModel.body : undefined;
  if (typeof encoded !== "string")
    throw validation("Malformed input request: #/input: required key [invokeModel] not found, please reformat your input and try again.");
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    throw validation("Malformed input request, please reformat your input and try again.");
  }
  const req = validateConverse(readAnthropicBody(body), ctx.model);
  // A fresh cache: counting neither reads nor fills the prompt cache.
  const u = new PromptCache().measure(ctx.model.id, req.body);
  sendJson(ctx.res, 200, { inputTokens: u.inputTokens + (u.cacheReadInputTokens ?? 0) + (u.cacheWriteInputTokens ?? 0) });
}
