/**
 * ConverseStream: the reply as AWS event-stream frames (application/vnd.amazon.eventstream), encoded with the same
 * smithy codec the SDKs decode with, written one frame at a time as produced, with the fault directives applied.
 *
 * Frames, as real Bedrock sends them (every payload also has a `p` field of padding letters):
 *   messageStart {role}
 *   per reply block i: text → contentBlockDelta {contentBlockIndex, delta:{text}} × chunks, contentBlockStop;
 *     reasoning → deltas {reasoningContent:{text}} × chunks, then {reasoningContent:{signature}}, contentBlockStop;
 *     toolUse → contentBlockStart {start:{toolUse:{toolUseId,name}}}, deltas {toolUse:{input}} (JSON fragments;
 *     Claude sends an empty first fragment and nothing else for `{}`), contentBlockStop
 *   messageStop {stopReason}, metadata {usage, metrics:{latencyMs}}
 * "Frames" counted by the fault directives include every frame; stream-error-after counts contentBlockDelta frames.
 */
import type { ServerResponse } from "node:http";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { Reply, ReplyBlock } from "./behaviour";
import type { Directives } from "./directives";
import { streamExceptionMessage } from "./errors";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export type StreamEvent = { type: string; payload: Record<string, unknown> };
export type StreamOutcome = "completed" | "cancelled" | "reset" | "truncated" | "exception";

function str(value: string) {
  return { type: "string" as const, value };
}

function encode(headers: Record<string, string>, payload: Record<string, unknown>): Uint8Array {
  const body = { ...payload, p: PAD.slice(0, 1 + Math.floor(Math.random() * PAD.length)) };
  return codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, str(v)])),
    body: fromUtf8(JSON.stringify(body)),
  });
}

export function encodeEvent(e: StreamEvent): Uint8Array {
  return encode({ ":event-type": e.type, ":content-type": "application/json", ":message-type": "event" }, e.payload);
}

export function encodeException(type: string, payload: Record<string, unknown>): Uint8Array {
  return encode({ ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" }, payload);
}

/** Splits a string into pieces of `n` code points (never splits a surrogate pair, may split a grapheme). */
function splitPoints(s: string, n: number): string[] {
  const cps = [...s];
  return Array.from({ length: Math.ceil(cps.length / n) }, (_, i) => cps.slice(i * n, i * n + n).join(""));
}

/** Splits text into deltas: two words per chunk, or 3 code points per chunk in unicode mode (cuts graphemes). */
function chunkText(text: string, unicode: boolean): string[] {
  if (unicode) return splitPoints(text, 3);
  const words = text.match(/\s*\S+|\s+$/g) ?? [text];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 2) chunks.push(...splitPoints(words.slice(i, i + 2).join(""), 32));
  return chunks;
}

function blockEvents(b: ReplyBlock, index: number, opts: { unicode: boolean; anthropic: boolean }): StreamEvent[] {
  const delta = (d: Record<string, unknown>): StreamEvent => ({ type: "contentBlockDelta", payload: { contentBlockIndex: index, delta: d } });
  const events: StreamEvent[] = [];
  if ("text" in b) events.push(...chunkText(b.text, opts.unicode).map((text) => delta({ text })));
  else if ("reasoningContent" in b) {
    const { text, signature } = b.reasoningContent.reasoningText;
    events.push(...chunkText(text, opts.unicode).map((t) => delta({ reasoningContent: { text: t } })), delta({ reasoningContent: { signature } }));
  } else {
    const { toolUseId, name, input } = b.toolUse;
    events.push({ type: "contentBlockStart", payload: { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } } });
    const json = JSON.stringify(input);
    const fragments = opts.anthropic ? ["", ...(json === "{}" ? [] : splitPoints(json, 9))] : [json];
    events.push(...fragments.map((f) => delta({ toolUse: { input: f } })));
  }
  events.push({ type: "contentBlockStop", payload: { contentBlockIndex: index } });
  return events;
}

export function replyEvents(reply: Reply, opts: { latency: () => number; unicode: boolean; anthropic: boolean; noOutput: boolean }): StreamEvent[] {
  const blocks = opts.noOutput ? [] : reply.content;
  const metadata = {
    usage: reply.usage,
    // Read when the frame is encoded, so the latency covers the whole stream.
    get metrics() {
      return { latencyMs: opts.latency() };
    },
  };
  return [
    { type: "messageStart", payload: { role: "assistant" } },
    ...blocks.flatMap((b, i) => blockEvents(b, i, opts)),
    { type: "messageStop", payload: { stopReason: reply.stopReason } },
    { type: "metadata", payload: metadata },
  ];
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** Writes bytes, in `pieceBytes` TCP writes when set, honouring backpressure; false if the client went away. */
async function writeBytes(res: ServerResponse, bytes: Uint8Array, pieceBytes: number | undefined, signal: AbortSignal): Promise<boolean> {
  const size = pieceBytes ?? bytes.length;
  for (let at = 0; at < bytes.length; at += size) {
    if (signal.aborted) return false;
    const piece = bytes.subarray(at, at + size);
    if (pieceBytes) {
      // Wait for each piece to reach the socket so the pieces leave as separate TCP segments (noDelay is on).
      await new Promise<void>((resolve) => res.write(piece, () => resolve()));
    } else if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off("drain", go);
          signal.removeEventListener("abort", go);
          resolve();
        };
        res.on("drain", go);
        signal.addEventListener("abort", go);
      });
    }
  }
  return !signal.aborted;
}

function corrupt(frame: Uint8Array, where: "crc" | "prelude"): Uint8Array {
  const copy = Uint8Array.from(frame);
  const i = where === "crc" ? copy.length - 1 : 11;
  copy[i] = copy[i]! ^ 0xff;
  return copy;
}

/** Writes the frames with faults applied; resolves with how the stream ended. */
export async function writeStream(res: ServerResponse, events: StreamEvent[], d: Directives, signal: AbortSignal): Promise<StreamOutcome> {
  const pieces = d.chunkBytes ?? (d.unicode ? 5 : undefined);
  let frames = 0;
  let deltas = 0;
  const send = async (bytes: Uint8Array): Promise<boolean> => {
    if (d.corruptCrcAfter === frames) bytes = corrupt(bytes, "crc");
    if (d.corruptPreludeAfter === frames) bytes = corrupt(bytes, "prelude");
    await sleep((frames > 0 ? d.delayMs : d.firstFrameDelayMs) ?? 0, signal);
    frames++;
    return writeBytes(res, bytes, pieces, signal);
  };
  for (const event of events) {
    if (signal.aborted) return "cancelled";
    if (d.unknownEventAfter === frames && !(await send(encodeEvent({ type: "simUnknownEvent", payload: { note: "unknown event type" } })))) return "cancelled";
    if (d.resetAfter === frames) {
      res.socket?.resetAndDestroy();
      return "reset";
    }
    if (d.truncateAfter === frames) {
      res.end();
      return "truncated";
    }
    const se = d.streamErrorAfter;
    if (se && event.type !== "messageStart" && (deltas >= se.deltas || event.type === "messageStop")) {
      if (!(await send(encodeException(se.type, streamExceptionMessage(se.type))))) return "cancelled";
      res.end();
      return "exception";
    }
    if (!(await send(encodeEvent(event)))) return "cancelled";
    if (event.type === "contentBlockDelta") deltas++;
  }
  if (d.resetAfter === frames) {
    res.socket?.resetAndDestroy();
    return "reset";
  }
  res.end();
  return "completed";
}
