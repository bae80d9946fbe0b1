/**
 * Bedrock-only request fields that reach past what the gateway governs, allowed only with
 * ALLOW_BEDROCK_PASSTHROUGH=true (as on the OpenAI door). Off, a request carrying one is refused with a 400 that
 * names it, never silently stripped: dropping a guardrail or a model-specific field would change the answer.
 *   additionalModelRequestFields, additionalModelResponseFieldPaths  model-native fields the gateway cannot vet
 *   guardrailConfig, promptVariables                                 other Bedrock resources (guardrails, prompts)
 *   serviceTier (other than "default"), performanceConfig (other than "standard")
 *                                                                    tiers Bedrock bills at other prices than the catalogue's
 * InvokeModel carries the same choices as headers (service model InvokeModelRequest). Pure.
 */
import { GatewayError } from "../../errors";
import type { BedrockOperation } from "./model-id";

const GATED_MEMBERS = ["additionalModelRequestFields", "additionalModelResponseFieldPaths", "guardrailConfig", "promptVariables"] as const;

/** InvokeModel's headers for the same choices, lower-cased, with the value that needs no permission (if any). */
const GATED_HEADERS: [string, string | null][] = [
  ["x-amzn-bedrock-guardrailidentifier", null],
  ["x-amzn-bedrock-guardrailversion", null],
  ["x-amzn-bedrock-service-tier", "default"],
  ["x-amzn-bedrock-performanceconfig-latency", "standard"],
];

/** The first gated member of a Converse body, or null. */
export function gatedMemberOf(body: Record<string, unknown>): string | null {
  for (const m of GATED_MEMBERS) if (body[m] !== undefined && body[m] !== null) return m;
  const tier = body.serviceTier as { type?: unknown } | null | undefined;
  if (tier && tier.type !== "default") return "serviceTier";
  const perf = body.performanceConfig as { latency?: unknown } | null | undefined;
  if (perf && perf.latency !== undefined && perf.latency !== "standard") return "performanceConfig";
  return null;
}

/** The first gated InvokeModel header, or null. */
export function gatedHeaderOf(headers: Headers): string | null {
  for (const [name, free] of GATED_HEADERS) {
    const v = headers.get(name);
    if (v !== null && v.trim().toLowerCase() !== free) return name;
  }
  return null;
}

/** Throws a 400 naming the first gated field, unless passthrough is allowed. CountTokens runs no model: never gated. */
export function checkPassthrough(op: BedrockOperation, body: unknown, headers: Headers, allowed: boolean): void {
  if (allowed || op === "count-tokens") return;
  const field = op === "converse" || op === "converse-stream" ? gatedMemberOf((body ?? {}) as Record<string, unknown>) : gatedHeaderOf(headers);
  if (!field) return;
  throw GatewayError.invalidRequest(
    field,
    `'${field}' is not allowed through this gateway: Bedrock-only passthrough is off (ALLOW_BEDROCK_PASSTHROUGH). Remove it, or ask your gateway admin.`,
    "passthrough_not_allowed",
  );
}
