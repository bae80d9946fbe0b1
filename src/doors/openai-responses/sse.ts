/**
 * The Responses stream on the wire: each event as `event: <type>` + `data: <json>` with its `sequence_number`
 * (no `[DONE]`, as OpenAI's Responses streams end without one). Before the events reach the shared relay, one
 * async step seals reasoning items for the client and stores the response ahead of `response.completed`.
 * A failure after the first byte is an `error` event followed by `response.failed`.
 */
import type { ConverseStreamEvent, ReasoningContentBlock } from "../../bedrock/converse-types";
import type { EventReader, EventStream } from "../../bedrock/event-reader";
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

/**
 * Converse events → translated, sealed Responses events; backpressure and cancellation pass through. A reader over
 * the upstream one, not a TransformStream and its pipe: each read translates one upstream event when the last
 * one's events are used up, and only sealing and storing wait for anything else.
 */
export function sealedEvents(events: EventStream<ConverseStreamEvent>, translator: ResponsesStreamTranslator, hooks: SealHooks): EventStream<ResponsesEvent> {
  const upstream: EventReader<ConverseStreamEvent> = events.getReader();
  const sealed = new Map<string, string>();
  let queue: ResponsesEvent[] = [];
  let at = 0;
  let finished = false;
  const waits = (e: ResponsesEvent) =>
    (e.type === "response.output_item.done" && hooks.seal !== null) || e.type === "response.completed" || e.type === "response.incomplete";
  /** The async step before an event goes out, when it has one (sealing, storing); undefined for the rest. */
  const handle = (e: ResponsesEvent): Promise<void> | undefined => {
    if (e.type === "response.output_item.done" && hooks.seal) {
      const item = e.item as OutputItem;
      const blocks = item.type === "reasoning" ? translator.state.reasoning[item.id] : undefined;
      if (item.type === "reasoning" && blocks?.length) {
        return hooks.seal(blocks).then((sealedText) => {
          item.encrypted_content = sealedText;
          sealed.set(item.id, sealedText);
        });
      }
    } else if (e.type === "response.completed" || e.type === "response.incomplete") {
      const response = e.response as ResponseObject;
      for (const item of response.output) if (item.type === "reasoning" && sealed.has(item.id)) item.encrypted_content = sealed.get(item.id);
      return hooks.keep(response, translator.state.reasoning);
    }
    return undefined;
  };
  const reader: EventReader<ResponsesEvent> = {
    async read() {
      while (at >= queue.length) {
        if (finished) return { done: true, value: undefined };
        const r = await upstream.read();
        at = 0;
        if (r.done) {
          finished = true;
          queue = translator.finish();
        } else queue = translator.push(r.value);
      }
      const e = queue[at++]!;
      const step = handle(e);
      if (step) await step;
      return { done: false, value: e };
    },
    cancel: (reason) => upstream.cancel(reason),
    // Only events already translated whose step does not wait: the relay then never holds text while this waits.
    buffered: () => at < queue.length && !waits(queue[at]!),
  };
  return { getReader: () => reader };
}

/** The relay's view of the door: events are already translated, so push passes them on and numbers nothing. */
export function responsesDoor(translator: ResponsesStreamTranslator, inputEstimate: number): StreamDoor<ResponsesEvent, ResponsesEvent> {
  let seq = 0;
  const encode = (items: ResponsesEvent[]) => {
    let out = "";
    for (const e of items) out += `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: seq++ })}\n\n`;
    return out;
  };
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
