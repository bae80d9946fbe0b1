/**
 * Anthropic's usage object and the gateway's four buckets. Anthropic's `input_tokens` excludes cache reads and
 * writes (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching), as Bedrock's counts do, so the
 * buckets map one to one. Pure.
 */
import type { NormalizedUsage } from "../../translate/usage";
import type { AnthropicUsage } from "./schema";

const count = (n: unknown): number | null => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? Math.floor(n) : null);

export function toAnthropicUsage(u: NormalizedUsage): AnthropicUsage {
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
  };
}

/** Reads an Anthropic usage object; missing or invalid counts are null. */
export function readAnthropicUsage(u: unknown): { input: number | null; output: number | null; cacheRead: number | null; cacheWrite: number | null } {
  const o = (u && typeof u === "object" ? u : {}) as Record<string, unknown>;
  return {
    input: count(o.input_tokens),
    output: count(o.output_tokens),
    cacheRead: count(o.cache_read_input_tokens),
    cacheWrite: count(o.cache_creation_input_tokens),
  };
}

/** Bedrock's token-count response headers of InvokeModel (null where absent). */
export function readUsageHeaders(h: Headers): { input: number | null; output: number | null; cacheRead: number | null; cacheWrite: number | null } {
  const n = (name: string) => {
    const v = h.get(name);
    return v === null || v.trim() === "" ? null : count(Number(v));
  };
  return {
    input: n("x-amzn-bedrock-input-token-count"),
    output: n("x-amzn-bedrock-output-token-count"),
    cacheRead: n("x-amzn-bedrock-cache-read-input-token-count"),
    cacheWrite: n("x-amzn-bedrock-cache-write-input-token-count"),
  };
}

type Counts = ReturnType<typeof readAnthropicUsage>;

/** The first source that has each count wins (Bedrock's own counts before the body's). */
export function mergeCounts(...sources: Counts[]): NormalizedUsage {
  const pick = (k: keyof Counts) => sources.find((s) => s[k] !== null)?.[k] ?? 0;
  return { inputTokens: pick("input"), outputTokens: pick("output"), cacheReadTokens: pick("cacheRead"), cacheWriteTokens: pick("cacheWrite") };
}
