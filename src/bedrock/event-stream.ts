/**
 * `application/vnd.amazon.eventstream` → ConverseStream events.
 * Frames are split on the prelude's total length and decoded (with CRC checks) by @smithy/eventstream-codec, one
 * at a time as they are read;
 * dispatch trusts the `:message-type`, `:event-type` and `:exception-type` headers, never the payload's shape.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { GatewayError } from "../errors";
import type { ConverseStreamEvent } from "./converse-types";
import { type ChunkSplitter, readSplit } from "./event-reader";

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

const EMPTY = new Uint8Array(0);

/**
 * Splits raw event-stream bytes into whole frames on each prelude's total length, frames split anywhere across
 * chunks, and turns one frame into an item only when it is asked for (`next`): a network chunk that carries many
 * frames is decoded frame by frame as the reader takes them, so the first event of a burst is handed on before
 * the rest of the burst is decoded. A corrupt frame (length, CRC, content) becomes one final error item instead of
 * an error, and nothing is split after it, so the frames before it still reach the client; so do bytes left over
 * at the end of the body (`truncated`).
 */
export function splitEventStream<T>(opts: {
  /** The item for one whole frame; throws a GatewayError for a frame that cannot be one. */
  item(frame: Uint8Array): T;
  error(err: GatewayError): T;
  truncated(bytesLeft: number): GatewayError;
  /** Hand each frame out as a copy, not a view of the network chunk (when the frame outlives the read). */
  copy?: boolean;
}): ChunkSplitter<T> {
  let buffer: Uint8Array = EMPTY;
  let failed = false;
  const total = () => ((buffer[0]! << 24) | (buffer[1]! << 16) | (buffer[2]! << 8) | buffer[3]!) >>> 0;
  const bad = (n: number) => n < MIN_FRAME || n > MAX_FRAME;
  return {
    push(chunk) {
      if (failed || chunk.length === 0) return;
      buffer = buffer.length === 0 ? chunk : concat(buffer, chunk);
    },
    ready() {
      if (failed || buffer.length < 4) return false;
      const n = total();
      return bad(n) || buffer.length >= n;
    },
    next() {
      if (failed || buffer.length < 4) return undefined;
      const n = total();
      try {
        if (bad(n)) throw corrupt(`invalid frame length ${n}`);
        if (buffer.length < n) return undefined;
        const frame = opts.copy ? buffer.slice(0, n) : buffer.subarray(0, n);
        buffer = buffer.length === n ? EMPTY : buffer.subarray(n);
        return opts.item(frame);
      } catch (err) {
        failed = true;
        buffer = EMPTY;
        return opts.error(err instanceof GatewayError ? err : corrupt(String(err)));
      }
    },
    end() {
      return failed || buffer.length === 0 ? [] : [opts.error(opts.truncated(buffer.length))];
    },
  };
}

/**
 * Raw response bytes → ConverseStream (or InvokeModel stream) events, CRC-checked. An exception frame or
 * corruption becomes one final `{type:"error"}` item (see splitEventStream).
 */
export function createEventStreamFrames(eventTypes: ReadonlySet<string> = CONVERSE_EVENT_TYPES): ChunkSplitter<DecodedItem> {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  return splitEventStream<DecodedItem>({
    item(frame) {
      const message = decodeFrame(codec, frame);
      return toEvent(message.headers, message.body, eventTypes);
    },
    error: (error) => ({ type: "error", error }),
    truncated: (left) => corrupt(`stream ended inside a frame (${left} bytes left)`),
  });
}

/** One whole frame decoded (CRC-checked); a frame the codec refuses is a malformed stream (502). */
export function decodeFrame(codec: EventStreamCodec, frame: Uint8Array): ReturnType<EventStreamCodec["decode"]> {
  try {
    return codec.decode(frame);
  } catch (err) {
    throw corrupt(err instanceof Error ? err.message : "undecodable frame");
  }
}

/** A splitter's items as a TransformStream from raw bytes. */
export function splitterStream<T>(splitter: ChunkSplitter<T>): TransformStream<Uint8Array, T> {
  return new TransformStream<Uint8Array, T>({
    transform(chunk, controller) {
      splitter.push(chunk);
      for (let item = splitter.next(); item !== undefined; item = splitter.next()) controller.enqueue(item);
    },
    flush(controller) {
      for (const item of splitter.end()) controller.enqueue(item);
    },
  });
}

/** The same decoding as a TransformStream from raw response bytes to decoded events. */
export function createEventStreamDecoder(eventTypes: ReadonlySet<string> = CONVERSE_EVENT_TYPES): TransformStream<Uint8Array, DecodedItem> {
  return splitterStream(createEventStreamFrames(eventTypes));
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
