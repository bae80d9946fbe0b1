/**
 * Anthropic's server-sent events: `event: <type>` then `data: <the event as JSON>` (Anthropic's streaming
 * reference); a failure after the first byte is an `error` event carrying the error body.
 */
import type { GatewayError } from "../../errors";
import { toAnthropicErrorBody } from "./errors";
import type { AnthropicStreamEvent } from "./schema";

export function encodeAnthropicEvents(events: AnthropicStreamEvent[]): string {
  let out = "";
  for (const e of events) out += `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
  return out;
}

export function anthropicErrorEvent(err: GatewayError): string {
  return `event: error\ndata: ${JSON.stringify(toAnthropicErrorBody(err))}\n\n`;
}

export const PING = encodeAnthropicEvents([{ type: "ping" }]);

/** Events that carry content, for time to first token. */
export function isContentEvent(e: AnthropicStreamEvent): boolean {
  return e.type === "content_block_delta" || (e.type === "content_block_start" && (e.content_block as { type?: string } | undefined)?.type === "tool_use");
}
