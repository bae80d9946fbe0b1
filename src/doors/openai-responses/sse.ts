/**
 * The Responses stream on the wire: each event as `event: <type>` + `data: <json>` with its `sequence_number`
 * (no `[DONE]`, as OpenAI's Responses streams end without one). Before the events reach the shared relay, one
 * async step seals reasoning items for the client and stores the response ahead of `response.completed`.
 * A failure after the first byte is an `error` event followed by `response.failed`.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../../bedrock/converse-types";
import type { GatewayError } from "../../errors";
import type { StreamDoor } from "../../gateway/relay-stream";
import { draftFromStream, type UsageDraft } from "../../usage/draft";
import type { OutputItem, ResponseObject, ResponsesEvent } from "./schema";
import type { ResponsesStreamTranslator } from "./stream";

const CONTENT = new Set(["response.output_text.delta", "response.function_call_arguments.delta", "response.reasoning_summary_text.delta"]);
/** SSE comment lines, which every SSE parser skips, keep idle connections open while the model thinks. */
const KEEP_ALIVE = { everyMs: 15_000, text: ": keep-alive\n\n" };

export type SealHooks = {
  /** Seals thinking blocks for the client (null: the request did not ask for `reasoning.encrypted_content`). */
  seal: ((blocks: ReasoningContentBlock[]) => Promise<string>) | null;
  /** Stores the final response (when `store` is on); awaited before `response.completed` is sent. */
  keep(response: ResponseObject, reasoning: Record<string, ReasoningContentBlock[]>): Promise<void>;
};

/** Converse events → translated, sealed Responses events; backpressure and cancellation pass through. */
export function sealedEvents(
  events: ReadableStream<ConverseStreamEvent>,
  translator: ResponsesStreamTranslator,
  hooks: SealHooks,
): ReadableStream<ResponsesEvent> {
  const sealed = new Map<string, string>();
  const handle = async (e: ResponsesEvent, controller: TransformStreamDefaultController<ResponsesEvent>) => {
    if (e.type === "response.output_item.done" && hooks.seal) {
      const item = e.item as OutputItem;
      const blocks = item.type === "reasoning" ? translator.state.reasoning[item.id] : undefined;
      if (item.type === "reasoning" && blocks?.length) {
        item.encrypted_content = await hooks.seal(blocks);
        sealed.set(item.id, item.encrypted_content);
      }
    } else if (e.type === "response.completed" || e.type === "response.incomplete") {
      const response = e.response as ResponseObject;
      for (const item of response.output) if (item.type === "reasoning" && sealed.has(item.id)) item.encrypted_content = sealed.get(item.id);
      await hooks.keep(response, translator.state.reasoning);
    }
    controller.enqueue(e);
  };
  return events.pipeThrough(
    new TransformStream<ConverseStreamEvent, ResponsesEvent>({
      async transform(event, controller) {
        for (const e of translator.push(event)) await handle(e, controller);
      },
      async flush(controller) {
        for (const e of translator.finish()) await handle(e, controller);
      },
    }),
  );
}

/** The relay's view of the door: events are already translated, so push passes them on and numbers nothing. */
export function responsesDoor(translator: ResponsesStreamTranslator, inputEstimate: number): StreamDoor<ResponsesEvent, ResponsesEvent> {
  let seq = 0;
  const encode = (items: ResponsesEvent[]) => items.map((e) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: seq++ })}\n\n`).join("");
  return {
    push: (e) => [e],
    finish: () => [],
    encode,
    errorEvent(err: GatewayError) {
      const code = err.code ?? err.type;
      const response: ResponseObject = { ...translator.state.snapshot(), status: "failed", error: { code, message: err.message } };
      return encode([
        { type: "error", code, message: err.message, param: err.param },
        { type: "response.failed", response },
      ]);
    },
    hasContent: (e) => CONTENT.has(e.type),
    keepAlive: KEEP_ALIVE,
    beforeSettle(draft: UsageDraft) {
      draftFromStream(draft, translator.state, inputEstimate);
    },
  };
}
