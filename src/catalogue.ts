/**
 * The model catalogue: what the gateway serves, under which names, with which capabilities and prices.
 * Entries are data (overridable with the MODELS setting); translation reads capabilities from here
 * instead of sniffing model ids.
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
  price: Price.default({ input: 0, output: 0 }),
});

export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type ModelEntryInput = z.input<typeof ModelEntrySchema>;

const claudeThinking = { reasoning: "claude-thinking", vision: true, documents: true, caching: true, strictWhitespace: true } as const;
/** Claude 4.5: native structured output, temperature and top_p not together, 64k output. */
const claude45 = { ...claudeThinking, structuredOutput: "native", temperatureTopPConflict: true, defaultMaxTokens: 8192, maxOutputTokens: 64000 } as const;

/** Defaults: a small set of widely enabled models (US cross-region inference profiles). Prices are list prices in USD / 1M tokens. */
export const DEFAULT_MODELS: ModelEntryInput[] = [
  {
    id: "claude-sonnet-4-5",
    bedrockModelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ownedBy: "anthropic",
    ...claude45,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  },
  {
    // Opus 4.5 takes Bedrock's native effort setting (outputConfig.effort) for reasoning_effort.
    id: "claude-opus-4-5",
    bedrockModelId: "us.anthropic.claude-opus-4-5-20251101-v1:0",
    ownedBy: "anthropic",
    ...claude45,
    reasoning: "output-effort",
    price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  },
  {
    id: "claude-haiku-4-5",
    bedrockModelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    ownedBy: "anthropic",
    ...claude45,
    price: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  },
  {
    id: "claude-3-7-sonnet",
    bedrockModelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    ownedBy: "anthropic",
    ...claudeThinking,
    defaultMaxTokens: 8192,
    maxOutputTokens: 64000,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  },
  {
    id: "nova-pro",
    bedrockModelId: "us.amazon.nova-pro-v1:0",
    ownedBy: "amazon",
    vision: true,
    documents: true,
    caching: true,
    defaultMaxTokens: 5000,
    maxOutputTokens: 10000,
    price: { input: 0.8, output: 3.2, cacheRead: 0.2, cacheWrite: 0 },
  },
  {
    id: "nova-lite",
    bedrockModelId: "us.amazon.nova-lite-v1:0",
    ownedBy: "amazon",
    vision: true,
    documents: true,
    caching: true,
    defaultMaxTokens: 5000,
    maxOutputTokens: 10000,
    price: { input: 0.06, output: 0.24, cacheRead: 0.015, cacheWrite: 0 },
  },
  {
    id: "nova-micro",
    bedrockModelId: "us.amazon.nova-micro-v1:0",
    ownedBy: "amazon",
    caching: true,
    defaultMaxTokens: 5000,
    maxOutputTokens: 10000,
    price: { input: 0.035, output: 0.14, cacheRead: 0.00875, cacheWrite: 0 },
  },
  {
    id: "llama3-3-70b",
    bedrockModelId: "us.meta.llama3-3-70b-instruct-v1:0",
    ownedBy: "meta",
    toolChoice: false,
    defaultMaxTokens: 2048,
    maxOutputTokens: 8192,
    price: { input: 0.72, output: 0.72 },
  },
  {
    id: "titan-embed-text-v2",
    bedrockModelId: "amazon.titan-embed-text-v2:0",
    kind: "embedding",
    ownedBy: "amazon",
    tools: false,
    embeddingFormat: "titan-v2",
    price: { input: 0.02 },
  },
  {
    id: "cohere-embed-english-v3",
    bedrockModelId: "cohere.embed-english-v3",
    kind: "embedding",
    ownedBy: "cohere",
    tools: false,
    embeddingFormat: "cohere-v3",
    price: { input: 0.1 },
  },
];

export type Catalogue = {
  models: ModelEntry[];
  /** Finds an entry by id, alias or Bedrock id. */
  resolve(name: string): ModelEntry | undefined;
};

export function createCatalogue(entries: ModelEntryInput[]): Catalogue {
  const models = entries.map((e) => ModelEntrySchema.parse(e));
  const byName = new Map<string, ModelEntry>();
  for (const m of models) {
    for (const name of [m.id, ...m.aliases]) byName.set(name, m);
  }
  // Bedrock ids resolve too, unless that name is already taken by an explicit id/alias.
  for (const m of models) if (!byName.has(m.bedrockModelId)) byName.set(m.bedrockModelId, m);
  return { models, resolve: (name) => byName.get(name) };
}

/** Merges admin-supplied entries over the defaults (same `id` replaces). */
export function mergeModels(defaults: ModelEntryInput[], extra: ModelEntryInput[]): ModelEntryInput[] {
  const ids = new Set(extra.map((e) => e.id));
  return [...defaults.filter((d) => !ids.has(d.id)), ...extra];
}

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
