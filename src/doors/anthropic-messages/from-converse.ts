/**
 * Converse response → Anthropic message, for models reached through Converse. Content blocks map one to one
 * (reasoningContent → thinking / redacted_thinking, toolUse → tool_use); usage keeps Bedrock's four buckets. Pure.
 */
import type { ConverseResponse } from "../../bedrock/converse-types";
import { GatewayError } from "../../errors";
import { normalizeUsage, type NormalizedUsage } from "../../translate/usage";
import type { AnthropicMessage, OutputBlock } from "./schema";
import { matchedStopSequence, toAnthropicStopReason } from "./stop-reason";
import { toAnthropicUsage } from "./usage";

export type MessageMeta = { id: string; model: string; stopSequences?: string[] };

export function fromConverseResponse(
  res: ConverseResponse,
  meta: MessageMeta,
): { message: AnthropicMessage; usage: NormalizedUsage; stopReason: string | null } {
  const blocks = res.output?.message?.content;
  if (res.output?.message && !Array.isArray(blocks)) {
    throw GatewayError.upstream("Bedrock returned a message without content.", "upstream_invalid_response");
  }
  const content: OutputBlock[] = [];
  for (const b of blocks ?? []) {
    if ("text" in b) content.push({ type: "text", text: b.text });
    else if ("toolUse" in b) content.push({ type: "tool_use", id: b.toolUse.toolUseId, name: b.toolUse.name, input: b.toolUse.input ?? {} });
    else if ("reasoningContent" in b) {
      const r = b.reasoningContent;
      if ("redactedContent" in r) content.push({ type: "redacted_thinking", data: r.redactedContent });
      else content.push({ type: "thinking", thinking: r.reasoningText.text, signature: r.reasoningText.signature ?? "" });
    }
  }
  const usage = normalizeUsage(res.usage);
  const stop = toAnthropicStopReason(res.stopReason);
  const message: AnthropicMessage = {
    id: meta.id,
    type: "message",
    role: "assistant",
    content,
    model: meta.model,
    stop_reason: stop,
    stop_sequence: matchedStopSequence(stop, meta.stopSequences),
    usage: toAnthropicUsage(usage),
  };
  return { message, usage, stopReason: typeof res.stopReason === "string" ? res.stopReason : null };
}
