import { describe, expect, it } from "vitest";
import { inferModelEntry } from "../../../src/catalogue";
import { type Capabilities, capabilitiesFor } from "../../../src/models/capabilities";

const CAPABILITY_KEYS = [
  "kind",
  "ownedBy",
  "tools",
  "vision",
  "documents",
  "caching",
  "reasoning",
  "thinkingBudget",
  "structuredOutput",
  "temperatureTopPConflict",
  "toolChoice",
  "strictWhitespace",
  "defaultMaxTokens",
  "maxOutputTokens",
  "embeddingFormat",
] as const satisfies readonly (keyof Capabilities)[];

const pick = (entry: Record<string, unknown>) => Object.fromEntries(CAPABILITY_KEYS.map((k) => [k, entry[k]]));

const base: Capabilities = {
  kind: "chat",
  ownedBy: "bedrock",
  tools: true,
  vision: false,
  documents: false,
  caching: false,
  reasoning: "none",
  thinkingBudget: { minimal: 1024, low: 2048, medium: 8192, high: 16384 },
  structuredOutput: "tool",
  temperatureTopPConflict: false,
  toolChoice: false,
  strictWhitespace: false,
  defaultMaxTokens: 4096,
  maxOutputTokens: 8192,
};
const claude45 = {
  ownedBy: "anthropic",
  vision: true,
  documents: true,
  caching: true,
  reasoning: "claude-thinking",
  structuredOutput: "native",
  temperatureTopPConflict: true,
  toolChoice: true,
  strictWhitespace: true,
  defaultMaxTokens: 8192,
  maxOutputTokens: 64000,
} as const;
const nova = { ownedBy: "amazon", vision: true, documents: true, caching: true, toolChoice: true, defaultMaxTokens: 5000, maxOutputTokens: 10000 } as const;

describe("capabilitiesFor", () => {
  // The gateway's defaults before the models table, written out so the expectation outlives src/catalogue.ts.
  it.each<[string, Partial<Capabilities>]>([
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", claude45],
    ["us.anthropic.claude-opus-4-5-20251101-v1:0", { ...claude45, reasoning: "output-effort" }],
    ["us.anthropic.claude-haiku-4-5-20251001-v1:0", claude45],
    [
      "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      {
        ownedBy: "anthropic",
        vision: true,
        documents: true,
        caching: true,
        reasoning: "claude-thinking",
        toolChoice: true,
        strictWhitespace: true,
        defaultMaxTokens: 8192,
        maxOutputTokens: 64000,
      },
    ],
    ["us.amazon.nova-pro-v1:0", nova],
    ["us.amazon.nova-lite-v1:0", nova],
    ["us.amazon.nova-micro-v1:0", { ...nova, vision: false, documents: false }],
    ["us.meta.llama3-3-70b-instruct-v1:0", { ownedBy: "meta", defaultMaxTokens: 2048, maxOutputTokens: 8192 }],
    ["amazon.titan-embed-text-v2:0", { kind: "embedding", ownedBy: "amazon", tools: false, embeddingFormat: "titan-v2" }],
    ["cohere.embed-english-v3", { kind: "embedding", ownedBy: "cohere", tools: false, embeddingFormat: "cohere-v3" }],
  ])("gives %s the capabilities of the previous default entry", (id, traits) => {
    expect(capabilitiesFor(id)).toEqual({ ...base, ...traits });
  });

  // Ids outside the known families take inferModelEntry's answer.
  it.each([
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-v2:1",
    "apac.anthropic.claude-sonnet-5",
    "amazon.nova-premier-v1:0",
    "amazon.titan-text-premier-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "cohere.command-r-plus-v1:0",
    "ai21.jamba-1-5-large-v1:0",
    "qwen.qwen3-32b-v1:0",
    "writer.palmyra-x5-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
  ])("agrees with inferModelEntry for the unknown id %s", (id) => {
    expect(capabilitiesFor(id)).toEqual(pick(inferModelEntry(id)!));
  });

  it.each([
    ["arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", base],
    ["arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz789", base],
    ["writer.palmyra-x5-v1:0", base],
    ["qwen.qwen3-32b-v1:0", { ...base, ownedBy: "qwen" }],
  ] as const)("gives %s the conservative default (no caching, no reasoning, tools)", (id, expected) => {
    expect(capabilitiesFor(id)).toEqual(expected);
  });

  const sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
  it.each([
    `us.${sonnet45}`,
    `eu.${sonnet45}`,
    `apac.${sonnet45}`,
    `jp.${sonnet45}`,
    `au.${sonnet45}`,
    `global.${sonnet45}`,
    `us-gov.${sonnet45}`,
    `arn:aws:bedrock:us-east-1::foundation-model/${sonnet45}`,
    `arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.${sonnet45}`,
    `ARN:AWS:BEDROCK:US-EAST-1::FOUNDATION-MODEL/${sonnet45.toUpperCase()}`,
  ])("reads the model family through the prefix or ARN of %s", (id) => {
    expect(capabilitiesFor(id)).toEqual(capabilitiesFor(sonnet45));
  });

  it.each<[string, Partial<Capabilities>]>([
    ["global.anthropic.claude-opus-4-6-v1", { reasoning: "output-effort", structuredOutput: "native", maxOutputTokens: 128000, temperatureTopPConflict: true }],
    ["us.anthropic.claude-sonnet-4-6", { reasoning: "claude-thinking", structuredOutput: "tool", maxOutputTokens: 64000, temperatureTopPConflict: true }],
    ["us.anthropic.claude-opus-4-1-20250805-v1:0", { reasoning: "claude-thinking", caching: true, maxOutputTokens: 32000, temperatureTopPConflict: true }],
    ["global.amazon.nova-2-lite-v1:0", { ownedBy: "amazon", vision: true, caching: false, maxOutputTokens: 64000 }],
    ["us.meta.llama4-maverick-17b-instruct-v1:0", { ownedBy: "meta", vision: true, maxOutputTokens: 8192 }],
    ["mistral.mistral-large-3-675b-instruct", { ownedBy: "mistral", vision: true, caching: false }],
    ["us.deepseek.r1-v1:0", { ownedBy: "deepseek", tools: false, maxOutputTokens: 32768 }],
    ["deepseek.v3.2", { ownedBy: "deepseek", tools: true, vision: false }],
    ["openai.gpt-oss-120b-1:0", { ownedBy: "openai", tools: true, vision: false, maxOutputTokens: 16000 }],
    ["cohere.embed-multilingual-v3", { kind: "embedding", tools: false, embeddingFormat: "cohere-v3" }],
    ["amazon.titan-embed-text-v1", { kind: "embedding", tools: false }],
    ["amazon.nova-2-multimodal-embeddings-v1:0", { kind: "embedding", tools: false, vision: false, caching: false }],
  ])("knows the family of %s", (id, traits) => {
    expect(capabilitiesFor(id)).toMatchObject(traits);
  });

  it("gives an embedding model outside Titan v2 and Cohere no request format", () => {
    expect(capabilitiesFor("amazon.titan-embed-text-v1").embeddingFormat).toBeUndefined();
  });

  it("hands out a thinking budget the caller may change without affecting the next answer", () => {
    capabilitiesFor("anthropic.claude-opus-4-6-v1").thinkingBudget.high = 1;
    expect(capabilitiesFor("anthropic.claude-opus-4-6-v1").thinkingBudget.high).toBe(16384);
  });
});
