import { describe, expect, it } from "vitest";
import { type Capabilities, capabilitiesFor } from "../../../src/models/capabilities";
import { SEED_MODELS, type SeedPrice } from "../../../src/models/seed";

/** USD per million tokens → micro-dollars per million tokens, exactly; throws on anything but a plain decimal of at most 6 places. */
function toMicros(usd: string): number {
  const m = /^(0|[1-9]\d*)(?:\.(\d{1,6}))?$/.exec(usd);
  if (!m) throw new Error(`not a decimal with at most 6 places: ${JSON.stringify(usd)}`);
  const micros = Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0"));
  if (!Number.isSafeInteger(micros)) throw new Error(`too large: ${usd}`);
  return micros;
}

const PRICE_FIELDS = ["input", "output", "cacheRead", "cacheWrite"] as const;

const prices = SEED_MODELS.flatMap((m) => {
  const all: [string, SeedPrice][] = [[`${m.alias} price`, m.price]];
  for (const t of m.targets) if (t.price) all.push([`${m.alias} ${t.modelId} price`, t.price]);
  if (m.longContext) all.push([`${m.alias} long-context price`, m.longContext.price]);
  return all;
});

/** Bedrock model ids of the providers listed here, optionally behind a cross-region profile prefix. */
const BEDROCK_MODEL_ID =
  /^(?:(?:us|eu|apac|jp|au|ca|in|global|us-gov)\.)?(?:anthropic|amazon|meta|mistral|cohere|deepseek|openai)\.[a-z0-9][a-z0-9.-]*(?::\d+)?$/;
const withoutPrefix = (id: string) => id.replace(/^(?:us|eu|apac|jp|au|ca|in|global|us-gov)\./, "");
const firstTarget = (alias: string) => SEED_MODELS.find((m) => m.alias === alias)!.targets[0]!.modelId;

describe("SEED_MODELS", () => {
  it("uses every name once, across alias and aliases", () => {
    const names = SEED_MODELS.flatMap((m) => [m.alias, ...(m.aliases ?? [])]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it.each(prices)("%s is exact decimals that convert to whole micro-dollars", (_where, price) => {
    for (const field of PRICE_FIELDS) if (price[field] !== undefined) expect(() => toMicros(price[field]!)).not.toThrow();
  });

  it.each(["0.0000001", "1e-6", "0.1 ", "-1", ".5", "01", ""])("the price check rejects %j", (bad) => {
    expect(() => toMicros(bad)).toThrow();
  });

  it.each([
    ["3", 3_000_000],
    ["0.00875", 8_750],
    ["6.875", 6_875_000],
    ["0.000001", 1],
  ])("converts %s USD to %i micro-dollars", (usd, micros) => expect(toMicros(usd)).toBe(micros));

  it.each(SEED_MODELS.flatMap((m) => m.targets.map((t) => [m.alias, t.modelId] as const)))("%s targets a Bedrock id: %s", (_alias, modelId) => {
    expect(modelId).toMatch(BEDROCK_MODEL_ID);
  });

  it.each(SEED_MODELS.map((m) => [m.alias, m] as const))("%s: its targets are one model, with source and date", (_alias, m) => {
    expect(m.targets.length).toBeGreaterThan(0);
    expect(new Set(m.targets.map((t) => withoutPrefix(t.modelId))).size).toBe(1);
    expect(m.source).toMatch(/^https:\/\/[a-z0-9.-]+\//);
    expect(m.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(new Date(`${m.asOf}T00:00:00Z`).toISOString().slice(0, 10)).toBe(m.asOf);
    if (m.longContext) expect(Number.isInteger(m.longContext.aboveInputTokens) && m.longContext.aboveInputTokens > 0).toBe(true);
  });

  // The names the gateway served before the models table, each on the same first Bedrock id.
  it.each([
    ["claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["claude-opus-4-5", "us.anthropic.claude-opus-4-5-20251101-v1:0"],
    ["claude-haiku-4-5", "us.anthropic.claude-haiku-4-5-20251001-v1:0"],
    ["claude-3-7-sonnet", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"],
    ["nova-pro", "us.amazon.nova-pro-v1:0"],
    ["nova-lite", "us.amazon.nova-lite-v1:0"],
    ["nova-micro", "us.amazon.nova-micro-v1:0"],
    ["llama3-3-70b", "us.meta.llama3-3-70b-instruct-v1:0"],
    ["titan-embed-text-v2", "amazon.titan-embed-text-v2:0"],
    ["cohere-embed-english-v3", "cohere.embed-english-v3"],
  ])("keeps %s on %s", (alias, modelId) => expect(firstTarget(alias)).toBe(modelId));

  it.each([
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["claude-opus-4-5-20251101", "claude-opus-4-5"],
    ["claude-haiku-4-5-20251001", "claude-haiku-4-5"],
    ["claude-opus-4-1-20250805", "claude-opus-4-1"],
    ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet"],
  ])("resolves Anthropic's name %s to %s", (name, alias) => {
    expect(SEED_MODELS.filter((m) => m.aliases?.includes(name)).map((m) => m.alias)).toEqual([alias]);
  });

  it.each(["claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-4-6"])(
    "%s has a global profile at list price, its geographic profile 10% above it",
    (alias) => {
      const m = SEED_MODELS.find((s) => s.alias === alias)!;
      const global = m.targets.find((t) => t.modelId.startsWith("global."));
      expect(global?.price).toBeDefined();
      for (const field of PRICE_FIELDS) expect(toMicros(m.price[field]!) * 10).toBe(toMicros(global!.price![field]!) * 11);
    },
  );

  it.each(SEED_MODELS.map((m) => [m.alias, m] as const))("%s has cache prices exactly when its first target caches", (_alias, m) => {
    const caching = capabilitiesFor(m.targets[0]!.modelId).caching;
    for (const p of [m.price, ...m.targets.flatMap((t) => (t.price ? [t.price] : []))]) {
      expect([p.cacheRead !== undefined, p.cacheWrite !== undefined]).toEqual([caching, caching]);
    }
  });

  it.each(SEED_MODELS.map((m) => [m.alias, m] as const))("%s: kind matches its first target's capabilities", (_alias, m) => {
    expect(capabilitiesFor(m.targets[0]!.modelId).kind).toBe(m.kind);
  });

  const thinking = { tools: true, vision: true, documents: true, caching: true, reasoning: "claude-thinking" } as const;
  const expectedChat: Record<string, Partial<Capabilities>> = {
    "claude-opus-4-6": { ...thinking, reasoning: "output-effort", structuredOutput: "native", temperatureTopPConflict: true, maxOutputTokens: 128000 },
    "claude-sonnet-4-6": { ...thinking, structuredOutput: "tool", temperatureTopPConflict: true, maxOutputTokens: 64000 },
    "claude-opus-4-5": { ...thinking, reasoning: "output-effort", structuredOutput: "native", temperatureTopPConflict: true, maxOutputTokens: 64000 },
    "claude-sonnet-4-5": { ...thinking, structuredOutput: "native", temperatureTopPConflict: true, maxOutputTokens: 64000 },
    "claude-haiku-4-5": { ...thinking, structuredOutput: "native", temperatureTopPConflict: true, maxOutputTokens: 64000 },
    "claude-opus-4-1": { ...thinking, structuredOutput: "tool", temperatureTopPConflict: true, maxOutputTokens: 32000 },
    "claude-3-7-sonnet": { ...thinking, structuredOutput: "tool", temperatureTopPConflict: false, maxOutputTokens: 64000 },
    "nova-2-lite": { tools: true, vision: true, documents: true, caching: false, reasoning: "none", maxOutputTokens: 64000 },
    "nova-pro": { tools: true, vision: true, documents: true, caching: true, reasoning: "none", maxOutputTokens: 10000 },
    "nova-lite": { tools: true, vision: true, documents: true, caching: true, reasoning: "none", maxOutputTokens: 10000 },
    "nova-micro": { tools: true, vision: false, documents: false, caching: true, reasoning: "none", maxOutputTokens: 10000 },
    "llama3-3-70b": { tools: true, vision: false, caching: false, reasoning: "none", defaultMaxTokens: 2048, maxOutputTokens: 8192 },
    "llama4-maverick-17b": { tools: true, vision: true, caching: false, reasoning: "none", maxOutputTokens: 8192 },
    "llama4-scout-17b": { tools: true, vision: true, caching: false, reasoning: "none", maxOutputTokens: 8192 },
    "mistral-large-3": { tools: true, vision: true, caching: false, reasoning: "none" },
    "ministral-3-8b": { tools: true, vision: true, caching: false, reasoning: "none" },
    "deepseek-r1": { tools: false, vision: false, caching: false, reasoning: "none", maxOutputTokens: 32768 },
    "deepseek-v3-2": { tools: true, vision: false, caching: false, reasoning: "none" },
    "gpt-oss-120b": { tools: true, vision: false, caching: false, reasoning: "none", maxOutputTokens: 16000 },
    "gpt-oss-20b": { tools: true, vision: false, caching: false, reasoning: "none", maxOutputTokens: 16000 },
  };

  it("has an expectation for every chat model", () => {
    expect(
      SEED_MODELS.filter((m) => m.kind === "chat")
        .map((m) => m.alias)
        .sort(),
    ).toEqual(Object.keys(expectedChat).sort());
  });

  it.each(Object.entries(expectedChat))("%s: its first target has the expected capabilities", (alias, expected) => {
    expect(capabilitiesFor(firstTarget(alias))).toMatchObject({ kind: "chat", ...expected });
  });
});
