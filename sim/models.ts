/**
 * The simulator's own model table: what real Bedrock offers and what each model accepts. It is deliberately
 * independent of the gateway's catalogue (src/catalogue.ts), so a wrong capability flag in the gateway shows up
 * as the same ValidationException real Bedrock would send. test/sim checks that every catalogue id is known here.
 */

export type SimModel = {
  /** Foundation model id, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  id: string;
  name: string;
  provider: "Anthropic" | "Amazon" | "Meta" | "Cohere" | "Mistral AI" | "DeepSeek" | "OpenAI";
  kind: "chat" | "embedding";
  inputModalities: string[];
  outputModalities: string[];
  inferenceTypes: ("ON_DEMAND" | "INFERENCE_PROFILE")[];
  /** Geographic cross-region inference profiles (`us.`, `eu.`, `global.` + id). */
  profiles: ("us" | "eu" | "apac" | "global")[];
  maxOutputTokens: number;
  caching: boolean;
  /** Claude extended thinking via additionalModelRequestFields.thinking. */
  thinking: boolean;
  vision: boolean;
  documents: boolean;
  tools: boolean;
  /** Whether toolConfig.toolChoice is accepted (Llama rejects the field). */
  toolChoice: boolean;
  structuredOutput: boolean;
  temperatureTopPConflict: boolean;
  /** Accepts outputConfig.effort (Claude Opus 4.5). */
  effort?: boolean;
  embedding?: "titan-v2" | "cohere-v3";
};

type Caps = Omit<SimModel, "id" | "name">;

const claude = (over: Partial<Caps>): Caps => ({
  provider: "Anthropic",
  kind: "chat",
  inputModalities: ["TEXT", "IMAGE"],
  outputModalities: ["TEXT"],
  inferenceTypes: ["INFERENCE_PROFILE"],
  profiles: ["us", "eu", "apac"],
  maxOutputTokens: 64000,
  caching: true,
  thinking: true,
  vision: true,
  documents: true,
  tools: true,
  toolChoice: true,
  structuredOutput: false,
  temperatureTopPConflict: false,
  ...over,
});

const nova = (maxOut: number, vision: boolean): Caps => ({
  provider: "Amazon",
  kind: "chat",
  inputModalities: vision ? ["TEXT", "IMAGE", "VIDEO"] : ["TEXT"],
  outputModalities: ["TEXT"],
  inferenceTypes: ["ON_DEMAND", "INFERENCE_PROFILE"],
  profiles: ["us", "eu", "apac"],
  maxOutputTokens: maxOut,
  caching: true,
  thinking: false,
  vision,
  documents: vision,
  tools: true,
  toolChoice: true,
  structuredOutput: false,
  temperatureTopPConflict: false,
});

const llama = (maxOut: number): Caps => ({
  provider: "Meta",
  kind: "chat",
  inputModalities: ["TEXT"],
  outputModalities: ["TEXT"],
  inferenceTypes: ["INFERENCE_PROFILE"],
  profiles: ["us"],
  maxOutputTokens: maxOut,
  caching: false,
  thinking: false,
  vision: false,
  documents: true,
  tools: true,
  toolChoice: false,
  structuredOutput: false,
  temperatureTopPConflict: false,
});

/** Text models served on demand in a Region (no cross-region profile), with tools but no forced tool choice. */
const onDemand = (provider: SimModel["provider"], maxOut: number, over: Partial<Caps> = {}): Caps => ({
  provider,
  kind: "chat",
  inputModalities: ["TEXT"],
  outputModalities: ["TEXT"],
  inferenceTypes: ["ON_DEMAND"],
  profiles: [],
  maxOutputTokens: maxOut,
  caching: false,
  thinking: false,
  vision: false,
  documents: false,
  tools: true,
  toolChoice: false,
  structuredOutput: false,
  temperatureTopPConflict: false,
  ...over,
});

const embedding = (provider: SimModel["provider"], format: "titan-v2" | "cohere-v3"): Caps => ({
  provider,
  kind: "embedding",
  inputModalities: ["TEXT"],
  outputModalities: ["EMBEDDING"],
  inferenceTypes: ["ON_DEMAND"],
  profiles: [],
  maxOutputTokens: 0,
  caching: false,
  thinking: false,
  vision: false,
  documents: false,
  tools: false,
  toolChoice: false,
  structuredOutput: false,
  temperatureTopPConflict: false,
  embedding: format,
});

export const SIM_MODELS: SimModel[] = [
  {
    id: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    name: "Claude Sonnet 4.5",
    ...claude({ structuredOutput: true, temperatureTopPConflict: true, profiles: ["us", "eu", "apac", "global"] }),
  },
  {
    id: "anthropic.claude-haiku-4-5-20251001-v1:0",
    name: "Claude Haiku 4.5",
    ...claude({ structuredOutput: true, temperatureTopPConflict: true, profiles: ["us", "eu", "apac", "global"] }),
  },
  {
    id: "anthropic.claude-opus-4-5-20251101-v1:0",
    name: "Claude Opus 4.5",
    ...claude({ structuredOutput: true, temperatureTopPConflict: true, effort: true, profiles: ["us", "eu", "global"] }),
  },
  {
    id: "anthropic.claude-opus-4-1-20250805-v1:0",
    name: "Claude Opus 4.1",
    ...claude({ maxOutputTokens: 32000, structuredOutput: true, temperatureTopPConflict: true, profiles: ["us"] }),
  },
  {
    id: "anthropic.claude-opus-4-6-v1",
    name: "Claude Opus 4.6",
    ...claude({ maxOutputTokens: 128000, structuredOutput: true, temperatureTopPConflict: true, effort: true, profiles: ["us", "eu", "global"] }),
  },
  {
    id: "anthropic.claude-sonnet-4-6",
    name: "Claude Sonnet 4.6",
    ...claude({ temperatureTopPConflict: true, profiles: ["us", "eu", "global"] }),
  },
  { id: "anthropic.claude-sonnet-4-20250514-v1:0", name: "Claude Sonnet 4", ...claude({}) },
  { id: "anthropic.claude-3-7-sonnet-20250219-v1:0", name: "Claude 3.7 Sonnet", ...claude({}) },
  {
    id: "anthropic.claude-3-5-haiku-20241022-v1:0",
    name: "Claude 3.5 Haiku",
    ...claude({ thinking: false, vision: false, maxOutputTokens: 8192, inputModalities: ["TEXT"], profiles: ["us"] }),
  },
  {
    id: "anthropic.claude-3-haiku-20240307-v1:0",
    name: "Claude 3 Haiku",
    ...claude({ thinking: false, caching: false, maxOutputTokens: 4096, inferenceTypes: ["ON_DEMAND", "INFERENCE_PROFILE"] }),
  },
  { id: "amazon.nova-pro-v1:0", name: "Nova Pro", ...nova(10000, true) },
  { id: "amazon.nova-lite-v1:0", name: "Nova Lite", ...nova(10000, true) },
  { id: "amazon.nova-micro-v1:0", name: "Nova Micro", ...nova(10000, false) },
  { id: "amazon.nova-2-lite-v1:0", name: "Nova 2 Lite", ...nova(64000, true), profiles: ["us", "global"] },
  { id: "meta.llama3-3-70b-instruct-v1:0", name: "Llama 3.3 70B Instruct", ...llama(8192) },
  { id: "meta.llama4-maverick-17b-instruct-v1:0", name: "Llama 4 Maverick 17B Instruct", ...llama(8192), vision: true, inputModalities: ["TEXT", "IMAGE"] },
  { id: "meta.llama4-scout-17b-instruct-v1:0", name: "Llama 4 Scout 17B Instruct", ...llama(8192), vision: true, inputModalities: ["TEXT", "IMAGE"] },
  {
    id: "mistral.mistral-large-3-675b-instruct",
    name: "Mistral Large 3",
    ...onDemand("Mistral AI", 8192, { vision: true, toolChoice: true, inputModalities: ["TEXT", "IMAGE"] }),
  },
  { id: "mistral.ministral-3-8b-instruct", name: "Ministral 3 8B", ...onDemand("Mistral AI", 8192, { vision: true, inputModalities: ["TEXT", "IMAGE"] }) },
  { id: "deepseek.r1-v1:0", name: "DeepSeek-R1", ...onDemand("DeepSeek", 32768, { tools: false, inferenceTypes: ["INFERENCE_PROFILE"], profiles: ["us"] }) },
  { id: "deepseek.v3.2", name: "DeepSeek V3.2", ...onDemand("DeepSeek", 8192) },
  { id: "openai.gpt-oss-120b-1:0", name: "gpt-oss-120b", ...onDemand("OpenAI", 16000) },
  { id: "openai.gpt-oss-20b-1:0", name: "gpt-oss-20b", ...onDemand("OpenAI", 16000) },
  { id: "meta.llama3-1-8b-instruct-v1:0", name: "Llama 3.1 8B Instruct", ...llama(2048) },
  { id: "amazon.titan-embed-text-v2:0", name: "Titan Text Embeddings V2", ...embedding("Amazon", "titan-v2") },
  { id: "cohere.embed-english-v3", name: "Embed English", ...embedding("Cohere", "cohere-v3") },
  { id: "cohere.embed-multilingual-v3", name: "Embed Multilingual", ...embedding("Cohere", "cohere-v3") },
];

/** Application inference profiles that "exist" in the simulated account (their ARNs carry no model name). */
export const SIM_ACCOUNT_ID = "123456789012";
export const APPLICATION_PROFILES: Record<string, string> = {
  simclaudesonnet45: "anthropic.claude-sonnet-4-5-20250929-v1:0",
  simnovapro: "amazon.nova-pro-v1:0",
};

export type ResolvedModel = { model: SimModel; kind: "foundation-model" | "inference-profile" | "application-inference-profile" };

const byId = new Map(SIM_MODELS.map((m) => [m.id, m]));

function resolvePlain(id: string): ResolvedModel | undefined {
  const base = byId.get(id);
  if (base) return { model: base, kind: "foundation-model" };
  const dot = id.indexOf(".");
  if (dot < 0) return undefined;
  const geo = id.slice(0, dot) as SimModel["profiles"][number];
  const inner = byId.get(id.slice(dot + 1));
  if (inner?.profiles.includes(geo)) return { model: inner, kind: "inference-profile" };
  return undefined;
}

const ARN = /^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+):(\d{12})?:(foundation-model|inference-profile|application-inference-profile)\/(.+)$/;

/** Resolves a (decoded) model identifier: base id, geo inference profile id, or one of their ARNs. */
export function resolveModel(modelId: string, region: string): ResolvedModel | undefined {
  const arn = ARN.exec(modelId);
  if (!arn) return resolvePlain(modelId);
  const [, arnRegion, account, type, rest] = arn;
  if (arnRegion !== region) return undefined;
  if (type === "application-inference-profile") {
    const target = account === SIM_ACCOUNT_ID ? APPLICATION_PROFILES[rest!] : undefined;
    return target ? { model: byId.get(target)!, kind: "application-inference-profile" } : undefined;
  }
  // Foundation-model ARNs have an empty account field; inference-profile ARNs name the caller's account.
  if ((type === "foundation-model") !== !account || (account && account !== SIM_ACCOUNT_ID)) return undefined;
  const inner = resolvePlain(rest!);
  return inner?.kind === type ? inner : undefined;
}

export function foundationModelArn(region: string, id: string): string {
  return `arn:aws:bedrock:${region}::foundation-model/${id}`;
}

export function inferenceProfileArn(region: string, profileId: string): string {
  return `arn:aws:bedrock:${region}:${SIM_ACCOUNT_ID}:inference-profile/${profileId}`;
}
