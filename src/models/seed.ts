/**
 * The models the gateway starts with: public names, Bedrock targets and on-demand list prices. Capabilities are not
 * here: they follow from the model family (capabilities.ts).
 *
 * Prices are USD per million tokens, on-demand, Standard tier, US East. Claude's come from Anthropic's pricing page,
 * which Bedrock matches for the global cross-region profiles; "starting with Claude Sonnet 4.5 and all future models",
 * the geographic profiles (us., eu., jp., ...) cost 10% more and older models keep one price
 * (https://platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock). Cache writes are the 5-minute
 * ones (1.25× input; 1-hour writes cost 2× input and are not modelled here), cache reads 0.1× input. The other
 * providers' prices are from the Amazon Bedrock pricing page, whose tables render client-side; they were read from
 * AWS's own transcription of that page (https://github.com/aws/agent-toolkit-for-aws, plugins/aws-startup-advisor,
 * pricing-cache.md, re-verified by AWS on 2026-10-05). Bedrock ids are from the model cards
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-cards.html) and, for Claude, from Anthropic's Bedrock page.
 *
 * Left out because Bedrock has retired them (https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html):
 * Claude Sonnet 4 (end of life 2026-10-14), Claude 3.5 Haiku, Nova Premier (2026-09-14). DeepSeek-V3.1 is left out
 * too: the pricing page lists it only in Asia Pacific (Sydney), with DeepSeek V3.2 in the US Regions. Claude Opus 4.7
 * and later are served through Bedrock's Messages API endpoint, not Converse, so they are not listed.
 */

/** USD per million tokens, as exact decimal strings ("3", "0.035", "0.00875"); never floats. */
export type SeedPrice = { input: string; output: string; cacheRead?: string; cacheWrite?: string };

export type SeedTarget = {
  /** Bedrock model id, cross-region inference profile id (us./eu./apac./jp./au./global.) */
  modelId: string;
  /** Region the call is signed for and sent to; absent = the gateway's AWS_REGION. */
  region?: string;
  /** Only where this target's price differs from the model's (global profiles cost less than geographic ones for recent Claude models). */
  price?: SeedPrice;
};

export type SeedModel = {
  /** The public name clients send (e.g. "claude-sonnet-4-5"). */
  alias: string;
  /** Other names that resolve to the same model (e.g. Anthropic's dated name "claude-sonnet-4-5-20250929"). */
  aliases?: string[];
  kind: "chat" | "embedding";
  /** Ordered: the first is preferred, later ones are fallbacks. */
  targets: SeedTarget[];
  price: SeedPrice;
  /** Some models charge more above an input-token threshold (e.g. Claude Sonnet 4/4.5 above 200k input tokens). */
  longContext?: { aboveInputTokens: number; price: SeedPrice };
  /** Where the price comes from (URL of the AWS Bedrock pricing page or the model provider's page) and the date it was read (YYYY-MM-DD). */
  source: string;
  asOf: string;
};

const ANTHROPIC = "https://platform.claude.com/docs/en/about-claude/pricing";
const BEDROCK = "https://aws.amazon.com/bedrock/pricing/";
const AS_OF = "2026-12-02";

const claude = { kind: "chat", source: ANTHROPIC, asOf: AS_OF } as const;
const bedrock = { kind: "chat", source: BEDROCK, asOf: AS_OF } as const;

export const SEED_MODELS: SeedModel[] = [
  {
    ...claude,
    alias: "claude-opus-4-6",
    targets: [
      { modelId: "us.anthropic.claude-opus-4-6-v1" },
      { modelId: "global.anthropic.claude-opus-4-6-v1", price: { input: "5", output: "25", cacheRead: "0.5", cacheWrite: "6.25" } },
    ],
    // Opus 4.6 has no long-context surcharge: its 1M-token window is billed at these rates.
    price: { input: "5.5", output: "27.5", cacheRead: "0.55", cacheWrite: "6.875" },
  },
  {
    ...claude,
    alias: "claude-sonnet-4-6",
    targets: [
      { modelId: "us.anthropic.claude-sonnet-4-6" },
      { modelId: "global.anthropic.claude-sonnet-4-6", price: { input: "3", output: "15", cacheRead: "0.3", cacheWrite: "3.75" } },
    ],
    price: { input: "3.3", output: "16.5", cacheRead: "0.33", cacheWrite: "4.125" },
  },
  {
    ...claude,
    alias: "claude-opus-4-5",
    aliases: ["claude-opus-4-5-20251101"],
    targets: [
      { modelId: "us.anthropic.claude-opus-4-5-20251101-v1:0" },
      { modelId: "global.anthropic.claude-opus-4-5-20251101-v1:0", price: { input: "5", output: "25", cacheRead: "0.5", cacheWrite: "6.25" } },
    ],
    price: { input: "5.5", output: "27.5", cacheRead: "0.55", cacheWrite: "6.875" },
  },
  {
    ...claude,
    alias: "claude-sonnet-4-5",
    aliases: ["claude-sonnet-4-5-20250929"],
    targets: [
      { modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" },
      { modelId: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", price: { input: "3", output: "15", cacheRead: "0.3", cacheWrite: "3.75" } },
    ],
    price: { input: "3.3", output: "16.5", cacheRead: "0.33", cacheWrite: "4.125" },
    // Above 200K input tokens (1M window, beta) every token of the request costs $6 / $22.50 at list price, here with
    // the geographic 10%. The global target's long-context rate ($6 / $22.50) cannot be expressed per target.
    longContext: { aboveInputTokens: 200_000, price: { input: "6.6", output: "24.75", cacheRead: "0.66", cacheWrite: "8.25" } },
  },
  {
    ...claude,
    alias: "claude-haiku-4-5",
    aliases: ["claude-haiku-4-5-20251001"],
    targets: [
      { modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0" },
      { modelId: "global.anthropic.claude-haiku-4-5-20251001-v1:0", price: { input: "1", output: "5", cacheRead: "0.1", cacheWrite: "1.25" } },
    ],
    price: { input: "1.1", output: "5.5", cacheRead: "0.11", cacheWrite: "1.375" },
  },
  {
    // Legacy on Bedrock, end of life 2027-01-08; US profile only, no global one.
    ...claude,
    alias: "claude-opus-4-1",
    aliases: ["claude-opus-4-1-20250805"],
    targets: [{ modelId: "us.anthropic.claude-opus-4-1-20250805-v1:0" }],
    price: { input: "15", output: "75", cacheRead: "1.5", cacheWrite: "18.75" },
  },
  {
    // Bedrock retired Claude 3.7 Sonnet on 2026-04-28, so calls now fail upstream; kept only so today's name still resolves.
    ...claude,
    alias: "claude-3-7-sonnet",
    aliases: ["claude-3-7-sonnet-20250219"],
    targets: [{ modelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0" }],
    price: { input: "3", output: "15", cacheRead: "0.3", cacheWrite: "3.75" },
  },
  {
    ...bedrock,
    alias: "nova-2-lite",
    targets: [{ modelId: "us.amazon.nova-2-lite-v1:0" }, { modelId: "global.amazon.nova-2-lite-v1:0", price: { input: "0.3", output: "2.5" } }],
    // Geo and in-Region rate; global cross-region inference is listed lower. No cache price could be confirmed.
    price: { input: "0.33", output: "2.75" },
  },
  // Nova: cache reads are "75% less than on-demand input token price" (pricing page). No cache-write price could be
  // confirmed; writes stay at 0 as in the gateway's earlier defaults.
  {
    ...bedrock,
    alias: "nova-pro",
    targets: [{ modelId: "us.amazon.nova-pro-v1:0" }],
    price: { input: "0.8", output: "3.2", cacheRead: "0.2", cacheWrite: "0" },
  },
  {
    ...bedrock,
    alias: "nova-lite",
    targets: [{ modelId: "us.amazon.nova-lite-v1:0" }],
    price: { input: "0.06", output: "0.24", cacheRead: "0.015", cacheWrite: "0" },
  },
  {
    ...bedrock,
    alias: "nova-micro",
    targets: [{ modelId: "us.amazon.nova-micro-v1:0" }],
    price: { input: "0.035", output: "0.14", cacheRead: "0.00875", cacheWrite: "0" },
  },
  { ...bedrock, alias: "llama3-3-70b", targets: [{ modelId: "us.meta.llama3-3-70b-instruct-v1:0" }], price: { input: "0.72", output: "0.72" } },
  // Llama 4 Maverick's model card lists no global inference profile; Scout is given the same US profile.
  { ...bedrock, alias: "llama4-maverick-17b", targets: [{ modelId: "us.meta.llama4-maverick-17b-instruct-v1:0" }], price: { input: "0.24", output: "0.97" } },
  { ...bedrock, alias: "llama4-scout-17b", targets: [{ modelId: "us.meta.llama4-scout-17b-instruct-v1:0" }], price: { input: "0.17", output: "0.66" } },
  // In-Region models: the call goes to the gateway's own Region (these prices are N. Virginia, Ohio and Oregon).
  { ...bedrock, alias: "mistral-large-3", targets: [{ modelId: "mistral.mistral-large-3-675b-instruct" }], price: { input: "0.5", output: "1.5" } },
  { ...bedrock, alias: "ministral-3-8b", targets: [{ modelId: "mistral.ministral-3-8b-instruct" }], price: { input: "0.15", output: "0.15" } },
  // DeepSeek-R1 is served only through cross-region inference profiles (model-parameters-deepseek.html).
  { ...bedrock, alias: "deepseek-r1", targets: [{ modelId: "us.deepseek.r1-v1:0" }], price: { input: "1.35", output: "5.4" } },
  { ...bedrock, alias: "deepseek-v3-2", targets: [{ modelId: "deepseek.v3.2" }], price: { input: "0.62", output: "1.85" } },
  { ...bedrock, alias: "gpt-oss-120b", targets: [{ modelId: "openai.gpt-oss-120b-1:0" }], price: { input: "0.15", output: "0.6" } },
  { ...bedrock, alias: "gpt-oss-20b", targets: [{ modelId: "openai.gpt-oss-20b-1:0" }], price: { input: "0.07", output: "0.3" } },
  // Embeddings are charged for input tokens only.
  {
    ...bedrock,
    kind: "embedding",
    alias: "titan-embed-text-v2",
    targets: [{ modelId: "amazon.titan-embed-text-v2:0" }],
    price: { input: "0.02", output: "0" },
  },
  { ...bedrock, kind: "embedding", alias: "cohere-embed-english-v3", targets: [{ modelId: "cohere.embed-english-v3" }], price: { input: "0.1", output: "0" } },
  {
    ...bedrock,
    kind: "embedding",
    alias: "cohere-embed-multilingual-v3",
    targets: [{ modelId: "cohere.embed-multilingual-v3" }],
    price: { input: "0.1", output: "0" },
  },
];
