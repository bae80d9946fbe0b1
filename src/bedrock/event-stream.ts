/**
 * `application/vnd.amazon.eventstream` → ConverseStream events.
 * Frames are split on the prelude's total length and decoded (with CRC checks) by @smithy/eventstream-codec;
 * dispatch trusts the `:message-type`, `:event-type` and `:exception-type` headers, never the payload's shape.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { GatewayError } from "../errors";
import type { ConverseStreamEvent } from "./converse-types";
import { readSplit } from "./event-reader";

/** ConverseStream's event members (service model `ConverseStreamOutput`). */
export const CONVERSE_EVENT_TYPES: ReadonlySet<string> = new Set([
  "messageStart",
  "contentBlockStart",
  "contentBlockDelta",
  "contentBlockStop",
  "messageStop",
  "metadata",
]);
/** InvokeModelWithResponseStream's one event member (service model `ResponseStream`): `chunk`, its payload `{bytes}`. */
export const INVOKE_EVENT_TYPES: ReadonlySet<string> = new Set(["chunk"]);
/** Prelude (12) + message CRC (4). */
const MIN_FRAME = 16;
/** AWS caps event-stream messages at 16 MiB; anything larger is a corrupt prelude. */
const MAX_FRAME = 16 * 1024 * 1024;

const decoder = new TextDecoder();

/** What the decoder yields: events, or one final in-band error (see below). */
export type DecodedItem = ConverseStreamEvent | { type: "error"; error: GatewayError };

/**
 * Decodes raw response bytes into events as they arrive, frames split anywhere across chunks. An exception frame
 * or corruption becomes one final `{type:"error"}` item instead of a thrown error (and nothing is decoded after
 * it), so the events decoded from the same network chunk before the failure still reach the client.
 */
export function createEventStreamFrames(eventTypes: ReadonlySet<string> = CONVERSE_EVENT_TYPES): {
  /** The items completed by this chunk. */
  push(chunk: Uint8Array): DecodedItem[];
  /** At the end of the body: an error item if it ended inside a frame. */
  end(): DecodedItem[];
} {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  let buffer: Uint8Array = new Uint8Array(0);
  let failed = false;
  return {
    push(chunk) {
      if (failed) return [];
      const out: DecodedItem[] = [];
      buffer = buffer.length === 0 ? chunk : concat(buffer, chunk);
      try {
        while (buffer.length >= 4) {
          const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0);
          if (total < MIN_FRAME || total > MAX_FRAME) throw corrupt(`invalid frame length ${total}`);
          if (buffer.length < total) break;
          const frame = buffer.subarray(0, total);
          buffer = buffer.subarray(total);
          let message;
          try {
            message = codec.decode(frame);
          } catch (err) {
            throw corrupt(err instanceof Error ? err.message : "undecodable frame");
          }
          out.push(toEvent(message.headers, message.body, eventTypes));
        }
      } catch (err) {
        failed = true;
        buffer = new Uint8Array(0);
        out.push({ type: "error", error: err instanceof GatewayError ? err : corrupt(String(err)) });
      }
      return out;
    },
    end() {
      return !failed && buffer.length > 0 ? [{ type: "error", error: corrupt(`stream ended inside a frame (${buffer.length} bytes left)`) }] : [];
    },
  };
}

/** The same decoding as a TransformStream from raw response bytes to decoded events. */
export function createEventStreamDecoder(eventTypes: ReadonlySet<string> = CONVERSE_EVENT_TYPES): TransformStream<Uint8Array, DecodedItem> {
  const frames = createEventStreamFrames(eventTypes);
  return new TransformStream({
    transform(chunk, controller) {
      for (const item of frames.push(chunk)) controller.enqueue(item);
    },
    flush(controller) {
      for (const item of frames.end()) controller.enqueue(item);
    },
  });
}

/**
 * A reader of decoded events straight from the response body: each read pulls body chunks only until an event is
 * complete. It does what `body.pipeThrough(createEventStreamDecoder()).getReader()` does without a TransformStream
 * and its pipe per stream (fewer objects and promises per open stream), and a slow reader holds the body back.
 * A body that fails rejects the read with its error; cancelling cancels the body, which aborts the request.
 */
export type DecodedReader = {
  read(): Promise<ReadableStreamReadResult<DecodedItem>>;
  cancel(reason?: unknown): Promise<void>;
  /** True when an item decoded from a chunk already read is waiting: the next read does not touch the body. */
  buffered(): boolean;
};

export function decodeEventStream(body: ReadableStream<Uint8Array>, eventTypes: ReadonlySet<string> = CONVERSE_EVENT_TYPES): DecodedReader {
  return readSplit(body, createEventStreamFrames(eventTypes));
}

type Headers = Record<string, { type: string; value: unknown }>;

function header(headers: Headers, name: string): string | undefined {
  const h = headers[name];
  return h && typeof h.value === "string" ? h.value : undefined;
}

function toEvent(headers: Headers, body: Uint8Array, eventTypes: ReadonlySet<string>): ConverseStreamEvent {
  const messageType = header(headers, ":message-type");
  if (messageType === "event") {
    const type = header(headers, ":event-type");
    if (!type || !eventTypes.has(type)) throw corrupt(`unknown event type ${JSON.stringify(type ?? null)}`);
    return { type, body: parsePayload(body) } as ConverseStreamEvent;
  }
  if (messageType === "exception") {
    const payload = safeParse(body);
    const message = typeof payload?.message === "string" ? payload.message : typeof payload?.Message === "string" ? payload.Message : null;
    throw GatewayError.fromBedrock(streamExceptionStatus(header(headers, ":exception-type")), header(headers, ":exception-type") ?? null, message);
  }
  if (messageType === "error") {
    throw GatewayError.fromBedrock(500, header(headers, ":error-code") ?? "InternalServerException", header(headers, ":error-message") ?? null);
  }
  throw corrupt(`unknown message type ${JSON.stringify(messageType ?? null)}`);
}

/** HTTP statuses from the service model, used only when the exception type is unknown to the mapper. */
function streamExceptionStatus(type: string | undefined): number {
  switch (type) {
    case "throttlingException":
      return 429;
    case "validationException":
      return 400;
    case "serviceUnavailableException":
      return 503;
    case "modelStreamErrorException":
      return 424;
    default:
      return 500;
  }
}

function parsePayload(body: Uint8Array): Record<string, unknown> {
  const parsed = safeParse(body);
  if (!parsed) throw corrupt("event payload is not a JSON object");
  return parsed;
}

// biome-ignore lint/suspicious/noExplicitAny: event payloads are checked field by field by the translator
function safeParse(body: Uint8Array): Record<string, any> | null {
  try {
    const v = JSON.parse(decoder.decode(body));
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function corrupt(detail: string): GatewayError {
  return GatewayError.upstream(`Bedrock sent a malformed event stream: ${detail}.`, "upstream_malformed_stream");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
