/**
 * Relays ConverseStream as OpenAI SSE through the shared relay (gateway/relay-stream.ts). Errors after the first
 * byte become an OpenAI-shaped `data: {"error":…}` event followed by a clean close, which the openai SDKs raise as
 * APIError.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { ConverseRequest, ConverseStreamEvent } from "../bedrock/converse-types";
import type { EventStream } from "../bedrock/event-reader";
import type { Deps } from "../deps";
import { toOpenAIErrorBody } from "../errors";
import { relayStream, SSE_HEADERS, type StreamDoor } from "../gateway/relay-stream";
import type { ChatCompletionChunk } from "../translate/openai-types";
import { createStreamTranslator, type StreamMeta } from "../translate/stream-translator";
import { estimateInputTokens } from "../usage/estimate";
import { draftFromStream, type UsageDraft } from "../usage/draft";

export type StreamPlan = {
  /** Opens the Bedrock stream (routed over the model's targets); resolves once its first event has arrived. */
  open(): Promise<EventStream<ConverseStreamEvent>>;
  body: ConverseRequest;
  meta: StreamMeta;
  draft: UsageDraft;
  signal: AbortSignal;
};

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/**
 * SSE text for one stream's chunks. The envelope (id, object, created, model) is the same on every chunk the
 * translator makes, so it is serialised once per stream and each chunk adds its choices and usage: the same text
 * as JSON.stringify of the chunk, byte for byte (same keys, same order), at about half the cost per delta.
 */
export function chunkEncoder(): (chunks: ChatCompletionChunk[]) => string {
  let envelope: { id: string; created: number; model: string; text: string } | null = null;
  const one = (c: ChatCompletionChunk): string => {
    if (envelope === null) {
      envelope = {
        id: c.id,
        created: c.created,
        model: c.model,
        text: `{"id":${JSON.stringify(c.id)},"object":"chat.completion.chunk","created":${JSON.stringify(c.created)},"model":${JSON.stringify(c.model)}`,
      };
    }
    const e = envelope;
    if (c.id !== e.id || c.created !== e.created || c.model !== e.model || c.object !== "chat.completion.chunk" || c.system_fingerprint !== undefined)
      return sse(c);
    const usage = c.usage === undefined ? "" : `,"usage":${JSON.stringify(c.usage)}`;
    return `data: ${e.text},"choices":${JSON.stringify(c.choices)}${usage}}\n\n`;
  };
  return (chunks) => {
    let out = "";
    for (const c of chunks) out += one(c);
    return out;
  };
}

export async function streamChatCompletion(c: Context<AppEnv>, deps: Deps, plan: StreamPlan): Promise<Response> {
  // Errors up to here (including retries and fallbacks) still answer as plain JSON errors with their HTTP status.
  const events = await plan.open();
  const translator = createStreamTranslator(plan.meta);
  const inputEstimate = plan.draft.inputEstimate ?? estimateInputTokens(plan.body);

  const door: StreamDoor<ConverseStreamEvent, ChatCompletionChunk> = {
    push: (event) => translator.push(event),
    finish: () => translator.finish(),
    encode: chunkEncoder(),
    trailer: "data: [DONE]\n\n",
    errorEvent: (err) => sse(toOpenAIErrorBody(err)),
    hasContent,
    beforeSettle(draft, outcome) {
      const s = translator.state;
      draftFromStream(draft, s, inputEstimate);
      if (outcome.status === "ok" && s.reasoning.length > 0 && s.toolCallIds.length > 0) {
        deps.reasoningStore.put(s.toolCallIds, s.reasoning, deps.clock.now());
      }
    },
  };

  return c.body(relayStream(deps, { events, door, draft: plan.draft, signal: plan.signal }), 200, SSE_HEADERS);
}

function hasContent(chunk: ChatCompletionChunk): boolean {
  const d = chunk.choices[0]?.delta as { content?: string | null; tool_calls?: unknown[]; reasoning_content?: string; function_call?: unknown } | undefined;
  return !!d && (!!d.content || !!d.tool_calls?.length || !!d.reasoning_content || !!d.function_call);
}
