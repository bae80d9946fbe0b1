/**
 * Bedrock's event stream, relayed frame by frame: the response bytes are split on each frame's prelude length
 * (`application/vnd.amazon.eventstream`, as bedrock/event-stream.ts splits them) and every frame is forwarded as
 * the exact bytes Bedrock sent, while a copy is decoded (CRC-checked) by @smithy/eventstream-codec for the gateway
 * to read usage from. Nothing is re-encoded, except the one exception frame the gateway writes itself when the
 * stream fails on its side (a cut, corruption, silence).
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { normaliseErrorType } from "../../bedrock/error-map";
import { type ChunkSplitter, IdleLimitReader, readSplit, type TimerHandle } from "../../bedrock/event-reader";
import { decodeFrame, splitEventStream, splitterStream } from "../../bedrock/event-stream";
import { GatewayError } from "../../errors";
import { AttemptError, classifyBedrockError } from "../../routing/classify";
import { bedrockExceptionOf, EXCEPTION_STATUS, type BedrockExceptionName } from "./errors";
import type { DecodedFrame } from "./usage";

/** One frame as Bedrock sent it, with its decoded copy. */
export type RelayFrame = { bytes: Uint8Array; decoded: DecodedFrame };

/** A failure Bedrock reported in the stream itself: relayed as Bedrock's own exception frame. */
export class RelayedException extends GatewayError {
  readonly frame: Uint8Array;
  constructor(err: GatewayError, frame: Uint8Array) {
    super({ status: err.status, message: err.message, type: err.type, code: err.code, param: err.param, retryAfter: err.retryAfter });
    this.frame = frame;
  }
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const utf8 = new TextDecoder();

function decode(frame: Uint8Array): DecodedFrame {
  const message = decodeFrame(codec, frame);
  const h = (name: string) => {
    const v = message.headers[name]?.value;
    return typeof v === "string" ? v : undefined;
  };
  let payload: Record<string, unknown> | null = null;
  try {
    const v = JSON.parse(utf8.decode(message.body));
    if (v && typeof v === "object" && !Array.isArray(v)) payload = v;
  } catch {
    payload = null;
  }
  const messageType = h(":message-type") ?? "";
  if (messageType === "error")
    return { messageType: "exception", exceptionType: h(":error-code") ?? "InternalServerException", payload: { message: h(":error-message") } };
  return { messageType, eventType: h(":event-type"), exceptionType: h(":exception-type"), payload };
}

type Split = RelayFrame | { error: GatewayError };

/**
 * Raw bytes → whole frames, each decoded as it is read (bedrock/event-stream.ts splits them). A corrupt prelude or
 * CRC, or bytes left over at the end, become one final `{error}` item rather than an error, so frames split out of
 * the same network chunk before it still reach the client.
 */
export function createFrameSplits(): ChunkSplitter<Split> {
  return splitEventStream<Split>({
    item: (bytes) => ({ bytes, decoded: decode(bytes) }),
    error: (error) => ({ error }),
    truncated: (left) => GatewayError.upstream(`Bedrock's stream ended inside a frame (${left} bytes left).`, "upstream_stream_truncated"),
    // A copy: the frame outlives the network chunk it came in (the client may hold it a while).
    copy: true,
  });
}

/** The same splitting as a TransformStream. */
export function createFrameSplitter(): TransformStream<Uint8Array, Split> {
  return splitterStream(createFrameSplits());
}

/** The gateway error for an exception frame Bedrock sent. */
export function exceptionOf(decoded: DecodedFrame): GatewayError {
  const type = normaliseErrorType(decoded.exceptionType) ?? "InternalServerException";
  const status = EXCEPTION_STATUS[type as BedrockExceptionName] ?? 500;
  const m = decoded.payload?.message ?? decoded.payload?.Message;
  return GatewayError.fromBedrock(status, type, typeof m === "string" ? m : null);
}

/** The event-stream member name of each exception a Bedrock stream can carry (ConverseStreamOutput, ResponseStream). */
const STREAM_EXCEPTIONS: Partial<Record<BedrockExceptionName, string>> = {
  ThrottlingException: "throttlingException",
  ValidationException: "validationException",
  ServiceUnavailableException: "serviceUnavailableException",
  ModelStreamErrorException: "modelStreamErrorException",
  ModelTimeoutException: "modelTimeoutException",
};

/** The exception frame the gateway writes when the stream fails on its side (Bedrock's own frames are relayed as they are). */
export function exceptionFrame(err: GatewayError, invoke: boolean): Uint8Array {
  if (err instanceof RelayedException) return err.frame;
  let member = STREAM_EXCEPTIONS[bedrockExceptionOf(err)] ?? "internalServerException";
  // ConverseStream has no modelTimeoutException member.
  if (member === "modelTimeoutException" && !invoke) member = "internalServerException";
  return codec.encode({
    headers: {
      ":message-type": { type: "string", value: "exception" },
      ":exception-type": { type: "string", value: member },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: fromUtf8(JSON.stringify({ message: err.message })),
  });
}

export type FrameLimits = { firstByteMs: number; idleMs: number };

/**
 * Reads Bedrock's stream up to its first whole frame, under the first-byte limit, and then hands out one frame per
 * read with the idle limit between them. A first frame that is an exception is an ordinary attempt failure (nothing
 * has reached the client, so it may be retried); a later one ends the stream with that frame. Cancelling the
 * result cancels Bedrock's body, which aborts the request. The frames are split as the body is read (no
 * TransformStream, no ReadableStream per stream) and the idle limit is one timer per stream (bedrock/event-reader.ts).
 */
export async function openFrames(body: ReadableStream<Uint8Array>, limits: FrameLimits): Promise<IdleLimitReader<Split, RelayFrame>> {
  const reader = readSplit(body, createFrameSplits());
  let first: RelayFrame;
  let timer: TimerHandle | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      const message = `Bedrock did not send its first event within ${limits.firstByteMs} ms.`;
      timer = setTimeout(() => reject(new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message })), limits.firstByteMs);
    });
    const r = await Promise.race([reader.read(), limit]);
    if (r.done) throw new AttemptError(GatewayError.upstream("Bedrock ended the stream before its first event.", "upstream_stream_error"), "same");
    if ("error" in r.value) throw new AttemptError(r.value.error, "same");
    first = r.value;
    if (first.decoded.messageType === "exception") {
      const err = exceptionOf(first.decoded);
      throw new AttemptError(err, classifyBedrockError(normaliseErrorType(first.decoded.exceptionType), err.status));
    }
  } catch (err) {
    reader.cancel(err).catch(() => {});
    if (err instanceof AttemptError) throw err;
    if (err instanceof GatewayError) throw new AttemptError(err, "same");
    throw new AttemptError(GatewayError.upstream("The Bedrock stream was cut off before its first event.", "upstream_unavailable"), "same");
  } finally {
    clearTimeout(timer);
  }
  return new IdleLimitReader(reader, limits.idleMs, acceptFrame, [first]);
}

/** A splitting error or an exception frame after the first ends the stream (Bedrock's own frame is relayed). */
function acceptFrame(split: Split): RelayFrame {
  if ("error" in split) throw split.error;
  if (split.decoded.messageType === "exception") throw new RelayedException(exceptionOf(split.decoded), split.bytes);
  return split;
}
