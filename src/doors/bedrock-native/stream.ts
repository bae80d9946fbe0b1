/**
 * ConverseStream and InvokeModelWithResponseStream relayed through the shared relay (gateway/relay-stream.ts):
 * each of Bedrock's frames goes to the client as the bytes Bedrock sent, while its decoded copy feeds the usage
 * reader. A failure Bedrock reports in the stream reaches the client as Bedrock's own exception frame; a failure
 * on the gateway's side (a cut, corruption, silence) as one exception frame the gateway encodes, which the AWS
 * SDKs raise as the matching exception.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import type { Deps } from "../../deps";
import { GatewayError } from "../../errors";
import { relayStream, type StreamDoor } from "../../gateway/relay-stream";
import type { UsageDraft } from "../../usage/draft";
import { exceptionFrame, openFrames, type RelayFrame } from "./frames";
import { relayedHeaders } from "./headers";
import type { RawAttempt } from "./upstream";
import { estimatedStreamOutput, newStreamUsage, readStreamEvent } from "./usage";

export type StreamPlan = {
  op: "converse-stream" | "invoke-with-response-stream";
  route: <T>(call: RawAttempt<T>) => Promise<T>;
  /** The caller's body, sent as it is. */
  body: string;
  headers: Record<string, string>;
  draft: UsageDraft;
  signal: AbortSignal;
};

export async function streamBedrock(c: Context<AppEnv>, deps: Deps, plan: StreamPlan): Promise<Response> {
  // Until the first frame is in, failures are ordinary attempt failures: retried, or answered as a JSON error.
  const opened = await plan.route(async (modelId, signal, attempt) => {
    const res = await deps.bedrock.openRawStream(modelId, plan.op, plan.body, plan.headers, signal, attempt);
    const frames = await openFrames(res.body!, {
      firstByteMs: attempt.firstByteTimeoutMs,
      idleMs: attempt.idleTimeoutMs ?? deps.config.STREAM_IDLE_TIMEOUT_MS,
    });
    return { headers: res.headers, frames };
  });

  const invoke = plan.op === "invoke-with-response-stream";
  const state = newStreamUsage();
  const door: StreamDoor<RelayFrame, RelayFrame> = {
    push(frame) {
      readStreamEvent(state, frame.decoded);
      return [frame];
    },
    finish() {
      // ConverseStream always ends with its metadata event; without it the stream was cut at a frame boundary.
      if (!invoke && !state.complete) throw GatewayError.upstream("Bedrock ended the stream early.", "upstream_stream_truncated");
      return [];
    },
    encode: (frames) => (frames.length === 1 ? frames[0]!.bytes : concatFrames(frames)),
    errorEvent: (err) => exceptionFrame(err, invoke),
    hasContent: (f) => f.decoded.eventType === "contentBlockDelta" || f.decoded.eventType === "chunk",
    beforeSettle(draft) {
      draft.stopReason = state.stopReason;
      if (state.usage) draft.usage = state.usage;
      else {
        draft.usage = { inputTokens: draft.inputEstimate ?? 0, outputTokens: estimatedStreamOutput(state), cacheReadTokens: 0, cacheWriteTokens: 0 };
        draft.estimated = true;
      }
    },
  };
  const body = relayStream(deps, { events: opened.frames, door, draft: plan.draft, signal: plan.signal });
  return c.body(body, 200, { ...relayedHeaders(opened.headers, true), "cache-control": "no-cache", "x-accel-buffering": "no" });
}

function concatFrames(frames: RelayFrame[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.bytes.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.bytes, at);
    at += f.bytes.length;
  }
  return out;
}
