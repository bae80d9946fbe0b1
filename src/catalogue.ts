/**
 * The shape of a model entry as translation reads it (capabilities), and as the MODELS setting writes it. The
 * catalogue itself is the `models` table (src/models/catalogue.ts); capabilities come from the model family
 * (src/models/capabilities.ts) with per-model overrides.
 */
import { z } from "zod";

const Price = z.object({
  /** USD per million tokens. */
  input: z.number().nonnegative(),
  output: z.number().nonnegative().default(0),
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

export const ModelEntrySchema = z.object({
  /** The name clients send as `model` (an alias or the Bedrock id itself). */
  id: z.string().min(1),
  /** Bedrock model id, inference profile id or ARN. */
  bedrockModelId: z.string().min(1),
  kind: z.enum(["chat", "embedding"]).default("chat"),
  /** Other names that resolve to this entry. */
  aliases: z.array(z.string().min(1)).default([]),
  ownedBy: z.string().default("bedrock"),
  tools: z.boolean().default(true),
  /** Accepts `toolConfig.toolChoice` any/tool (forcing a tool). Bedrock's ToolChoice reference: Claude and Nova; Llama rejects the field. */
  toolChoice: z.boolean().default(true),
  vision: z.boolean().default(false),
  documents: z.boolean().default(false),
  caching: z.boolean().default(false),
  /** How `reasoning_effort` is honoured: Claude extended thinking, Bedrock's native `outputConfig.effort`, or not at all. */
  reasoning: z.enum(["none", "claude-thinking", "output-effort"]).default("none"),
  /** Thinking budget per effort level (Claude), tokens. */
  thinkingBudget: z
    .object({ minimal: z.number().int(), low: z.number().int(), medium: z.number().int(), high: z.number().int() })
    .default({ minimal: 1024, low: 2048, medium: 8192, high: 16384 }),
  /** `native`: outputConfig.textFormat json_schema; `tool`: a forced tool whose input becomes the content. */
  structuredOutput: z.enum(["native", "tool"]).default("tool"),
  /** Some Claude 4.5+ models reject temperature and topP together: drop topP. */
  temperatureTopPConflict: z.boolean().default(false),
  /** Anthropic's API rejects whitespace-only stop sequences and a final assistant message (prefill) ending in whitespace. */
  strictWhitespace: z.boolean().default(false),
  /** Sent as maxTokens when the client gives none (Bedrock's own defaults truncate tool calls). */
  defaultMaxTokens: z.number().int().positive().default(4096),
  maxOutputTokens: z.number().int().positive().default(8192),
  /** Embedding request format for InvokeModel. */
  embeddingFormat: z.enum(["titan-v2", "cohere-v3"]).optional(),
});

/** An entry of the MODELS setting: capabilities as above plus an optional price (USD per million tokens; absent = unknown). */
export const ModelSettingSchema = ModelEntrySchema.extend({ price: Price.optional() });

export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type ModelEntryInput = z.input<typeof ModelSettingSchema>;

/**
 * Bedrock model ids (`provider.model…`), inference profile ids (`us.provider.model…`) and ARNs (service model
 * ConversationalModelId, simplified). Names without a provider prefix (`gpt-4o`) are not Bedrock ids.
 */
const BEDROCK_ID = /^(arn:aws[a-z-]*:bedrock:[A-Za-z0-9._:/+-]{1,2000}|[a-z0-9-]+\.[A-Za-z0-9._:/+-]{1,2000})$/;

/**
 * An entry for a Bedrock id that the catalogue does not list, used when unlisted models are allowed.
 * Capabilities are guessed from the provider prefix, conservatively (no caching for unknown families).
 */
export function inferModelEntry(bedrockModelId: string): ModelEntry | undefined {
  if (!BEDROCK_ID.test(bedrockModelId)) return undefined;
  const id = bedrockModelId.toLowerCase();
  const claude = id.includes("anthropic.claude");
  const nova = id.includes("amazon.nova");
  const modern = claude && !/claude-(instant|v2|3-(haiku|sonnet|opus)|3-5-)/.test(id);
  return ModelEntrySchema.parse({
    id: bedrockModelId,
    bedrockModelId,
    ownedBy: id.split(/[.:/]/).find((p) => ["anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen"].includes(p)) ?? "bedrock",
    vision: claude || nova,
    documents: claude || nova,
    caching: modern || nova,
    reasoning: modern ? "claude-thinking" : "none",
    // Forcing a tool is documented for Claude, Nova and Mistral Large only; elsewhere a forced choice would be a 400.
    toolChoice: claude || nova || id.includes("mistral.mistral-large"),
    strictWhitespace: claude,
    kind: id.includes("embed") ? "embedding" : "chat",
    embeddingFormat: id.includes("titan-embed-text-v2") ? "titan-v2" : id.includes("cohere.embed") ? "cohere-v3" : undefined,
  });
}
