/**
 * Anthropic Messages request → the body of Bedrock's InvokeModel / InvokeModelWithResponseStream for Claude: the
 * faithful path, where messages, thinking blocks with their signatures and cache_control travel as the client sent
 * them. What Bedrock's Claude body differs in (Bedrock's Claude Messages reference,
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html):
 * `model` and `stream` travel in the URL, `anthropic_version` is `bedrock-2023-05-31`, betas go in the body's
 * `anthropic_beta`, and only the fields listed there are accepted, so the others are dropped with a warning
 * instead of a 400. Pure.
 */
import type { ModelEntry } from "../../catalogue";
import { bedrockBetas } from "./betas";
import type { CountTokensRequest, MessagesRequest } from "./schema";

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

/** Fields Bedrock's Claude body takes as Anthropic defines them. */
const PASSED = ["messages", "system", "max_tokens", "temperature", "top_p", "top_k", "tools", "tool_choice", "stop_sequences", "thinking"] as const;
/** Fields that travel elsewhere on Bedrock (the URL, the operation), removed without a warning. */
const MOVED = new Set(["model", "stream", "anthropic_version", "anthropic_beta", "metadata"]);

export type InvokeBody = { body: Record<string, unknown>; warnings: string[] };

export type InvokeContext = {
  model: Pick<ModelEntry, "bedrockModelId" | "structuredOutput" | "reasoning">;
  /** `anthropic-beta` header values as received. */
  betaHeader?: string | null;
};

/** Whether a conversation holds tool blocks (Bedrock then needs the tool definitions even when none may be called). */
export function usesTools(messages: MessagesRequest["messages"]): boolean {
  return messages.some((m) => Array.isArray(m.content) && m.content.some((b) => b.type === "tool_use" || b.type === "tool_result"));
}

/** Builds the InvokeModel body of a Messages request. */
export function toInvokeModelBody(req: MessagesRequest | (CountTokensRequest & { max_tokens: number }), ctx: InvokeContext): InvokeBody {
  const warnings: string[] = [];
  const src = req as Record<string, unknown>;
  const body: Record<string, unknown> = { anthropic_version: BEDROCK_ANTHROPIC_VERSION };
  for (const k of PASSED) if (src[k] !== undefined) body[k] = src[k];

  const requested = [ctx.betaHeader ?? "", ...(Array.isArray(src.anthropic_beta) ? src.anthropic_beta.map(String) : [])];
  const betas = bedrockBetas(ctx.model.bedrockModelId, requested);
  if (betas.length > 0) body.anthropic_beta = betas;

  const userId = (src.metadata as { user_id?: unknown } | null | undefined)?.user_id;
  if (typeof userId === "string" && userId) body.metadata = { user_id: userId };

  // Bedrock's Claude tool_choice takes auto, any and tool; "none" is sending no tools at all, unless the
  // conversation already holds tool blocks, which Bedrock only accepts beside their definitions.
  const choice = req.tool_choice;
  if (choice?.type === "none") {
    delete body.tool_choice;
    if (usesTools(req.messages))
      warnings.push("tool_choice none: Bedrock has no equivalent while the conversation holds tool calls, so tools were sent without a choice");
    else delete body.tools;
  }

  // Structured outputs and effort (output_config) exist only on the Claude models that have them.
  if (src.output_config !== undefined) {
    if (ctx.model.structuredOutput === "native" || ctx.model.reasoning === "output-effort") body.output_config = src.output_config;
    else warnings.push("output_config dropped: this model does not take it on Bedrock");
  }

  const dropped = Object.keys(src).filter((k) => src[k] !== undefined && !MOVED.has(k) && k !== "output_config" && !(PASSED as readonly string[]).includes(k));
  if (dropped.length > 0) warnings.push(`dropped fields Bedrock does not accept: ${dropped.join(", ")}`);
  return { body, warnings };
}
