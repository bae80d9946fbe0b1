/**
 * Which HTTP headers cross the Bedrock-native door. To Bedrock: only the members the service model binds to
 * headers for the operation (InvokeModelRequest and InvokeModelWithResponseStreamRequest: Content-Type, the
 * accept type, trace, guardrail, performance, service tier, request metadata); Converse and CountTokens bind
 * none. Never the caller's Authorization, Host or X-Amz-* signing headers: the gateway signs with its own. Back
 * to the caller: the content type and Bedrock's `X-Amzn-Bedrock-*` headers (token counts, latency, tier). Pure.
 */
import type { BedrockOperation } from "./model-id";

const EVENT_STREAM = "application/vnd.amazon.eventstream";

/** InvokeModel's header-bound members that are relayed as the caller sent them (gated ones are checked before). */
const INVOKE_HEADERS = [
  "x-amzn-bedrock-trace",
  "x-amzn-bedrock-guardrailidentifier",
  "x-amzn-bedrock-guardrailversion",
  "x-amzn-bedrock-performanceconfig-latency",
  "x-amzn-bedrock-service-tier",
  "x-amzn-bedrock-request-metadata",
];

/** The request headers sent to Bedrock for `op` (the signer adds host, date and signature). */
export function upstreamHeaders(op: BedrockOperation, incoming: Headers): Record<string, string> {
  const out: Record<string, string> = { "content-type": "application/json" };
  const streaming = op === "converse-stream" || op === "invoke-with-response-stream";
  out.accept = streaming ? EVENT_STREAM : "application/json";
  if (op !== "invoke" && op !== "invoke-with-response-stream") return out;
  const type = incoming.get("content-type");
  if (type) out["content-type"] = type;
  // InvokeModel names the body's type in Accept; the streaming operation in X-Amzn-Bedrock-Accept.
  if (op === "invoke") {
    const accept = incoming.get("accept");
    if (accept && accept !== "*/*") out.accept = accept;
  } else {
    const accept = incoming.get("x-amzn-bedrock-accept");
    if (accept) out["x-amzn-bedrock-accept"] = accept;
  }
  for (const name of INVOKE_HEADERS) {
    const v = incoming.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

/** The response headers relayed to the caller from Bedrock's 200 answer. */
export function relayedHeaders(upstream: Headers, streaming: boolean): Record<string, string> {
  const out: Record<string, string> = { "content-type": upstream.get("content-type") ?? (streaming ? EVENT_STREAM : "application/json") };
  upstream.forEach((value, name) => {
    if (name.toLowerCase().startsWith("x-amzn-bedrock-")) out[name] = value;
  });
  return out;
}
