/** Converse, ConverseStream and InvokeModel: validation → directives → simulated failures → reply. */
import type { ServerResponse } from "node:http";
import { directiveTexts, generateReply, lastUserMessage, type Reply } from "./behaviour";
import { parseDirectives, scopeDirectives, type Directives } from "./directives";
import { SimError, validation } from "./errors";
import { invokeEmbedding } from "./embeddings";
import type { SimModel } from "./models";
import type { SimRequestLog, SimState } from "./state";
import { replyEvents, sleep, writeStream } from "./stream";
import { validateConverse } from "./validate";
import { isObj } from "./wire";

export type OperationContext = {
  res: ServerResponse;
  model: SimModel;
  /** Parsed request body (undefined when empty). */
  body: unknown;
  bodyError?: string;
  state: SimState;
  entry: SimRequestLog;
  signal: AbortSignal;
  startedAt: number;
  /** The region the request was signed for (the endpoint's region in real AWS). */
  region: string;
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function requireJson(ctx: OperationContext): unknown {
  if (ctx.bodyError) throw validation("Malformed input request, please reformat your input and try again.");
  return ctx.body ?? {};
}

/** [sim:error] and [sim:fail-first] (counted per distinct directive text). */
export function simulatedFailure(d: Directives, state: SimState): SimError | undefined {
  if (d.failFirst) {
    const seen = state.failures.get(d.failFirst.key) ?? 0;
    if (seen < d.failFirst.count) {
      state.failures.set(d.failFirst.key, seen + 1);
      return new SimError(d.failFirst.error);
    }
  }
  return d.error ? new SimError(d.error) : undefined;
}

/** True when the client went away during the wait (the caller then stops). */
export async function waitTtfb(ctx: OperationContext, ms: number | undefined): Promise<boolean> {
  await sleep(ms ?? 0, ctx.signal);
  if (!ctx.signal.aborted) return false;
  ctx.state.stats.requestsCancelled++;
  ctx.entry.outcome = "cancelled";
  return true;
}

function converseBody(reply: Reply, noOutput: boolean, latencyMs: number) {
  return {
    metrics: { latencyMs },
    ...(noOutput ? {} : { output: { message: { role: "assistant", content: reply.content } } }),
    stopReason: reply.stopReason,
    usage: reply.usage,
  };
}

export async function converse(ctx: OperationContext, streaming: boolean): Promise<void> {
  const raw = requireJson(ctx);
  const req = validateConverse(raw, ctx.model);
  const { texts, textBlocks } = directiveTexts(lastUserMessage(req.body.messages));
  const parsed = parseDirectives(texts);
  const directives = scopeDirectives(parsed.directives, { modelId: ctx.entry.modelId, region: ctx.region });
  const { cleaned } = parsed;
  if (await waitTtfb(ctx, directives.ttfbMs)) return;
  const failure = simulatedFailure(directives, ctx.state);
  if (failure) throw failure;
  const input = ctx.state.cache.measure(ctx.model.id, req.body);
  const cleanedText = cleaned
    .slice(0, textBlocks)
    .filter((t) => t.length > 0)
    .join("\n");
  const reply = generateReply({ req, model: ctx.model, directives, cleanedText, rawBody: raw, input });
  if (!streaming) {
    sendJson(ctx.res, 200, converseBody(reply, directives.noOutput === true, Date.now() - ctx.startedAt));
    return;
  }
  const { stats } = ctx.state;
  stats.streamsStarted++;
  stats.openStreams++;
  ctx.res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
  ctx.res.flushHeaders();
  ctx.entry.status = 200;
  const events = replyEvents(reply, {
    latency: () => Date.now() - ctx.startedAt,
    unicode: directives.unicode === true,
    anthropic: ctx.model.provider === "Anthropic",
    noOutput: directives.noOutput === true,
  });
  try {
    const outcome = await writeStream(ctx.res, events, directives, ctx.signal);
    ctx.entry.outcome = outcome;
    if (outcome === "completed") stats.streamsCompleted++;
    else if (outcome === "cancelled") stats.streamsCancelled++;
    else stats.streamsFaulted++;
  } finally {
    stats.openStreams--;
  }
}

/** Embedding texts may carry [sim:error], [sim:fail-first] and [sim:ttfb] too; they are removed before embedding. */
function embeddingDirectives(raw: unknown): { directives: Directives; body: unknown } {
  if (!isObj(raw)) return { directives: {}, body: raw };
  if (typeof raw.inputText === "string") {
    const { directives, cleaned } = parseDirectives([raw.inputText]);
    return { directives, body: { ...raw, inputText: cleaned[0] } };
  }
  if (Array.isArray(raw.texts) && raw.texts.every((t) => typeof t === "string")) {
    const { directives, cleaned } = parseDirectives(raw.texts as string[]);
    return { directives, body: { ...raw, texts: cleaned } };
  }
  return { directives: {}, body: raw };
}

export async function invoke(ctx: OperationContext): Promise<void> {
  const { directives: parsed, body } = embeddingDirectives(requireJson(ctx));
  const directives = scopeDirectives(parsed, { modelId: ctx.entry.modelId, region: ctx.region });
  if (await waitTtfb(ctx, directives.ttfbMs)) return;
  const failure = simulatedFailure(directives, ctx.state);
  if (failure) throw failure;
  const result = invokeEmbedding(ctx.model, body);
  sendJson(ctx.res, 200, result.body, {
    "X-Amzn-Bedrock-Input-Token-Count": result.inputTokens,
    "X-Amzn-Bedrock-Invocation-Latency": Date.now() - ctx.startedAt,
  });
}
