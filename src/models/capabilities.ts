/**
 * What a Bedrock model can do, derived from its family in code: prices and names live in the models table, but
 * whether a model takes images or extended thinking is a property of the model itself. Pure, no I/O.
 */

/** How `reasoning_effort` is honoured: Claude extended thinking, Bedrock's native `outputConfig.effort`, or not at all. */
export type Reasoning = "none" | "claude-thinking" | "output-effort";

export type Capabilities = {
  kind: "chat" | "embedding";
  ownedBy: string;
  tools: boolean;
  vision: boolean;
  documents: boolean;
  caching: boolean;
  reasoning: Reasoning;
  /** Thinking budget per effort level (Claude), tokens. */
  thinkingBudget: { minimal: number; low: number; medium: number; high: number };
  /** `native`: outputConfig.textFormat json_schema; `tool`: a forced tool whose input becomes the content. */
  structuredOutput: "native" | "tool";
  /** Some Claude models reject temperature and topP together: drop topP. */
  temperatureTopPConflict: boolean;
  /** Accepts `toolConfig.toolChoice` any/tool (forcing a tool): Bedrock's ToolChoice reference lists Claude, Nova and Mistral Large; Llama rejects the field. */
  toolChoice: boolean;
  /** Anthropic's API rejects whitespace-only stop sequences and a final assistant message (prefill) ending in whitespace. */
  strictWhitespace: boolean;
  /** Sent as maxTokens when the client gives none (Bedrock's own defaults truncate tool calls). */
  defaultMaxTokens: number;
  maxOutputTokens: number;
  /** Embedding request format for InvokeModel. */
  embeddingFormat?: "titan-v2" | "cohere-v3";
};

type Traits = Partial<Omit<Capabilities, "ownedBy" | "thinkingBudget">>;

const CONSERVATIVE = {
  kind: "chat",
  tools: true,
  vision: false,
  documents: false,
  caching: false,
  reasoning: "none",
  structuredOutput: "tool",
  temperatureTopPConflict: false,
  toolChoice: false,
  strictWhitespace: false,
  defaultMaxTokens: 4096,
  maxOutputTokens: 8192,
} as const satisfies Traits;

const THINKING_BUDGET = { minimal: 1024, low: 2048, medium: 8192, high: 16384 } as const;

const claude = { vision: true, documents: true, toolChoice: true, strictWhitespace: true } as const;
const claudeThinking = { ...claude, caching: true, reasoning: "claude-thinking" } as const;
// Anthropic's API answers 400 "temperature and top_p cannot both be specified for this model" from Opus 4.1 on.
const claude45 = { ...claudeThinking, structuredOutput: "native", temperatureTopPConflict: true, defaultMaxTokens: 8192, maxOutputTokens: 64000 } as const;
const nova = { vision: true, documents: true, caching: true, toolChoice: true, defaultMaxTokens: 5000, maxOutputTokens: 10000 } as const;
const embedding = { kind: "embedding", tools: false } as const;

/**
 * Families, first match wins, tested against the model id without its cross-region prefix. Limits come from the
 * model cards in https://docs.aws.amazon.com/bedrock/latest/userguide/model-cards.html; a family that is not listed
 * gets the conservative defaults, and so does any trait a card does not state.
 */
const FAMILIES: ReadonlyArray<readonly [RegExp, Traits]> = [
  [/^amazon\.titan-embed-text-v2/, { ...embedding, embeddingFormat: "titan-v2" }],
  [/^cohere\.embed/, { ...embedding, embeddingFormat: "cohere-v3" }],
  [/embed/, embedding],
  // Opus 4.6: 128K output (model card); Bedrock's effort setting like Opus 4.5.
  [/^anthropic\.claude-opus-4-6/, { ...claude45, reasoning: "output-effort", maxOutputTokens: 128000 }],
  [/^anthropic\.claude-opus-4-5/, { ...claude45, reasoning: "output-effort" }],
  [/^anthropic\.claude-(sonnet|haiku)-4-5/, claude45],
  // Sonnet 4.6 keeps Sonnet 4.5's traits but the forced tool for structured output: Bedrock's native structured output
  // lists Haiku 4.5, Sonnet 4.5, Opus 4.5 and Opus 4.6 (https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html).
  [/^anthropic\.claude-sonnet-4-6/, { ...claude45, structuredOutput: "tool" }],
  [/^anthropic\.claude-opus-4-1/, { ...claudeThinking, temperatureTopPConflict: true, defaultMaxTokens: 8192, maxOutputTokens: 32000 }],
  [/^anthropic\.claude-3-7-sonnet/, { ...claudeThinking, defaultMaxTokens: 8192, maxOutputTokens: 64000 }],
  // Claude before 3.7 has no extended thinking, and prompt caching is not assumed for it; any later Claude has both.
  [/^anthropic\.claude-(instant|v2|3-(haiku|sonnet|opus)|3-5-)/, claude],
  [/^anthropic\.claude/, claudeThinking],
  [/^amazon\.nova-micro/, { ...nova, vision: false, documents: false }],
  [/^amazon\.nova-(lite|pro)-v1/, nova],
  // Nova 2 Lite: 64K output (model card). No cache-read price could be confirmed for it, so caching is not assumed.
  [/^amazon\.nova-2-lite/, { vision: true, documents: true, toolChoice: true, defaultMaxTokens: 5000, maxOutputTokens: 64000 }],
  [/^amazon\.nova/, { vision: true, documents: true, caching: true, toolChoice: true }],
  [/^meta\.llama3-3/, { defaultMaxTokens: 2048, maxOutputTokens: 8192 }],
  // Llama 3.1 and 3.2 on Bedrock accept at most 2,048 output tokens (max_gen_len).
  [/^meta\.llama3-[12]/, { defaultMaxTokens: 2048, maxOutputTokens: 2048 }],
  // Llama 4 takes images (model card: image input, 8K output).
  [/^meta\.llama4/, { vision: true, defaultMaxTokens: 2048, maxOutputTokens: 8192 }],
  [/^mistral\.mistral-large-3/, { vision: true, toolChoice: true }],
  [/^mistral\.ministral-3/, { vision: true }],
  [/^mistral\.mistral-large/, { toolChoice: true }],
  // DeepSeek-R1 on Bedrock has no tool use; its max_tokens goes up to 32,768 and AWS advises 8,192 or fewer
  // (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html).
  [/^deepseek\.r1/, { tools: false, defaultMaxTokens: 8192, maxOutputTokens: 32768 }],
  // gpt-oss: text only, 16K output (model card).
  [/^openai\.gpt-oss/, { maxOutputTokens: 16000 }],
];

/** Cross-region inference profile prefixes (geographic and global) that precede the model id. */
const PROFILE_PREFIX = /^(us|eu|apac|jp|au|ca|in|global|us-gov)\./;

const PROVIDERS = ["anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen"];

/**
 * The model id an id names: a cross-region profile's prefix is dropped, and a foundation-model or inference-profile
 * ARN gives its resource id. Other ARNs (application inference profiles, provisioned or custom models) name no
 * model, so they get the conservative defaults.
 */
function modelIdOf(bedrockModelId: string): string | undefined {
  let id = bedrockModelId.toLowerCase();
  if (id.startsWith("arn:")) {
    const resource = /:(foundation-model|inference-profile)\/(.+)$/.exec(id);
    if (!resource) return undefined;
    id = resource[2]!;
  }
  return id.replace(PROFILE_PREFIX, "");
}

/** Capabilities for a Bedrock model id, inference profile id or ARN, from its family; unknown families get conservative defaults. */
export function capabilitiesFor(bedrockModelId: string): Capabilities {
  const modelId = modelIdOf(bedrockModelId);
  const traits = modelId === undefined ? {} : (FAMILIES.find(([family]) => family.test(modelId))?.[1] ?? {});
  const ownedBy = modelId?.split(/[.:/]/).find((part) => PROVIDERS.includes(part)) ?? "bedrock";
  return { ...CONSERVATIVE, ...traits, ownedBy, thinkingBudget: { ...THINKING_BUDGET } };
}
