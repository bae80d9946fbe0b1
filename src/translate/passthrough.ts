/**
 * Bedrock-only request fields a client may send (`additionalModelRequestFields`, `guardrailConfig`, top-level or
 * under `bedrock`), allowed only when ALLOW_BEDROCK_PASSTHROUGH is on. When it is off they are rejected, not
 * ignored: a client relying on a guardrail must not get an unguarded answer silently.
 */
import type { GuardrailConfiguration } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import type { ChatCompletionRequest } from "./openai-types";

export type Passthrough = { fields?: Record<string, unknown>; guardrail?: GuardrailConfiguration };

const KEYS = ["additionalModelRequestFields", "guardrailConfig"] as const;

/** Reads the passthrough fields (top-level or under `bedrock`); throws 400 naming the field when not allowed. */
export function readPassthrough(req: ChatCompletionRequest, allow: boolean): Passthrough {
  const picked: { [K in (typeof KEYS)[number]]?: NonNullable<ChatCompletionRequest[K]> } = {};
  for (const key of KEYS) {
    const top = req[key];
    const nested = req.bedrock?.[key];
    if (top != null && nested != null) {
      throw GatewayError.invalidRequest(`bedrock.${key}`, `${key} is given both at the top level and under bedrock; send it once.`);
    }
    const value = top ?? nested;
    if (value == null) continue;
    if (!allow) {
      throw GatewayError.invalidRequest(
        top != null ? key : `bedrock.${key}`,
        `${key} is a Bedrock passthrough field and this gateway does not allow passthrough (ALLOW_BEDROCK_PASSTHROUGH).`,
      );
    }
    (picked as Record<string, unknown>)[key] = value;
  }
  const out: Passthrough = {};
  if (picked.additionalModelRequestFields) out.fields = picked.additionalModelRequestFields;
  if (picked.guardrailConfig) {
    const { guardrailIdentifier, guardrailVersion, trace, streamProcessingMode } = picked.guardrailConfig;
    const g: GuardrailConfiguration = { guardrailIdentifier, guardrailVersion };
    if (trace) g.trace = trace;
    // streamProcessingMode exists only in ConverseStream's GuardrailStreamConfiguration.
    if (streamProcessingMode && req.stream === true) g.streamProcessingMode = streamProcessingMode;
    out.guardrail = g;
  }
  return out;
}

/** Client fields first, the gateway's own over them: a client key wins only where the gateway set none. */
export function mergeAdditionalFields(client: Record<string, unknown> | undefined, gateway: Record<string, unknown>): Record<string, unknown> | undefined {
  const merged = { ...client, ...gateway };
  return Object.keys(merged).length > 0 ? merged : undefined;
}
