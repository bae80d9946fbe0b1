/**
 * Bedrock's InvokeModel answer for Claude → the client's Anthropic message. The body already is Anthropic's
 * message; the gateway checks its shape, names the model as the client did, fills absent usage counts, and reads
 * the tokens for the usage row from Bedrock's token-count headers first, then the body's `usage`. Pure.
 */
import { z } from "zod";
import { GatewayError } from "../../errors";
import type { NormalizedUsage } from "../../translate/usage";
import type { AnthropicMessage } from "./schema";
import { mergeCounts, readAnthropicUsage, readUsageHeaders, toAnthropicUsage } from "./usage";

const InvokeResponse = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: z.unknown().optional(),
});

export type InvokeResult = { message: AnthropicMessage; usage: NormalizedUsage; stopReason: string | null };

export function fromInvokeResponse(raw: unknown, headers: Headers, meta: { model: string; id: string }): InvokeResult {
  const parsed = InvokeResponse.safeParse(raw);
  if (!parsed.success) throw GatewayError.upstream("Bedrock returned a Claude response the gateway does not understand.", "upstream_invalid_response");
  const body = parsed.data;
  const fromBody = readAnthropicUsage(body.usage);
  const usage = mergeCounts(readUsageHeaders(headers), fromBody);
  const message = {
    ...body,
    id: body.id ?? meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    stop_reason: body.stop_reason ?? null,
    stop_sequence: body.stop_sequence ?? null,
    usage: { ...(body.usage as object | undefined), ...toAnthropicUsage(mergeCounts(fromBody, readUsageHeaders(headers))) },
  } as AnthropicMessage;
  return { message, usage, stopReason: message.stop_reason };
}
