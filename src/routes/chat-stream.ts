/**
 * Relays ConverseStream as OpenAI SSE. A pull-based stream, so backpressure reaches Bedrock and a client
 * that goes away cancels the upstream read (and with it the Bedrock request). The usage row is settled in
 * exactly one place (`finish`), whichever way the stream ends. Errors after the first byte become an
 * OpenAI-shaped `data: {"error":…}` event followed by a clean close, which the openai SDKs raise as APIError.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { ConverseRequest } from "../bedrock/converse-types";
import type { Deps } from "../deps";
import { GatewayError, toOpenAIErrorBody } from "../errors";
import type { ChatCompletionChunk } from "../translate/openai-types";
import { createStreamTranslator } from "../translate/stream-translator";
import { estimateInputTokens } from "../usage/estimate";
import { settleUsage, type UsageDraft, type UsageOutcome } from "../usage/draft";

export type StreamPlan = {
  modelId: string;
  body: ConverseRequest;
  meta: { id: string; created: number; model: string; includeUsage: boolean; jsonToolName?: string; legacyFunctions?: boolean };
  draft: UsageDraft;
  signal: AbortSignal;
};

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

export async function streamChatCompletion(c: Context<AppEnv>, deps: Deps, plan: StreamPlan): Promise<Response> {
  // Errors up to here (including retries) still answer as plain JSON errors with their HTTP status.
  const events = await deps.bedrock.converseStream(plan.modelId, plan.body, plan.signal);
  const { draft } = plan;
  draft.deferred = true;
  const translator = createStreamTranslator(plan.meta);
  const reader = events.getReader();
  const inputEstimate = draft.inputEstimate ?? estimateInputTokens(plan.body);

  const finish = (outcome: UsageOutcome) => {
    if (draft.settled) return;
    const s = translator.state;
    draft.stopReason = s.stopReason;
    if (s.usage) draft.usage = s.usage;
    else {
      draft.usage = { inputTokens: inputEstimate, outputTokens: s.estimatedOutputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
      draft.estimated = true;
    }
    if (outcome.status === "ok" && s.reasoning.length > 0 && s.toolCallIds.length > 0) {
      deps.reasoningStore.put(s.toolCallIds, s.reasoning, deps.clock.now());
    }
    settleUsage(deps, draft, outcome);
  };

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Keep reading until there is something to send: a pull that enqueues nothing is not called again.
          for (;;) {
            const r = await reader.read();
            if (r.done) {
              enqueueChunks(controller, translator.finish());
              controller.enqueue(DONE);
              controller.close();
              finish({ status: "ok", httpStatus: 200, errorCode: null });
              return;
            }
            const chunks = translator.push(r.value);
            if (chunks.length > 0) {
              if (draft.ttftMs === null && chunks.some(hasContent)) draft.ttftMs = Math.max(0, deps.clock.now() - draft.startedAt);
              enqueueChunks(controller, chunks);
              return;
            }
          }
        } catch (err) {
          const gw = err instanceof GatewayError ? err : GatewayError.upstream("The Bedrock stream failed.", "upstream_stream_error");
          if (!(err instanceof GatewayError)) deps.logger.error("stream failed", { requestId: draft.requestId, error: err });
          else deps.logger.warn("stream ended with an error", { requestId: draft.requestId, code: gw.code, status: gw.status });
          reader.cancel(err).catch(() => {});
          if (plan.signal.aborted) {
            finish({ status: "aborted", httpStatus: 499, errorCode: "client_closed_request" });
            controller.error(err);
            return;
          }
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(toOpenAIErrorBody(gw))}\n\n`));
          controller.close();
          finish({ status: "error", httpStatus: gw.status, errorCode: gw.code ?? gw.type });
        }
      },
      cancel(reason) {
        finish({ status: "aborted", httpStatus: 499, errorCode: "client_closed_request" });
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );

  return c.body(body, 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
}

function enqueueChunks(controller: ReadableStreamDefaultController<Uint8Array>, chunks: ChatCompletionChunk[]): void {
  if (chunks.length === 0) return;
  let text = "";
  for (const chunk of chunks) text += `data: ${JSON.stringify(chunk)}\n\n`;
  controller.enqueue(encoder.encode(text));
}

function hasContent(chunk: ChatCompletionChunk): boolean {
  const d = chunk.choices[0]?.delta as { content?: string | null; tool_calls?: unknown[]; reasoning_content?: string; function_call?: unknown } | undefined;
  return !!d && (!!d.content || !!d.tool_calls?.length || !!d.reasoning_content || !!d.function_call);
}
