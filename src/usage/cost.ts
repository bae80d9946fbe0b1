/**
 * Money in integers. Prices are micro-dollars per million tokens (USD 3 / 1M tokens = 3,000,000), so a
 * request's cost is Σ tokens × price / 10^6 micro-dollars, computed exactly and rounded half up once.
 * Amounts are JavaScript numbers holding integers: exact while below 2^53 (about 9 × 10^15 µ$·M), far above
 * any single request (10^6 tokens × USD 75 / 1M = 7.5 × 10^13).
 */
import type { NormalizedUsage } from "../translate/usage";

/** Micro-dollars per million tokens for each token bucket; a missing cache rate is charged at the input rate. */
export type Price = { input: number; output: number; cacheRead?: number; cacheWrite?: number };
/** Anthropic and Bedrock charge every token of a request at the long-context rate once its input passes the threshold. */
export type LongContextPrice = { aboveInputTokens: number; price: Price };
export type Pricing = { price: Price; longContext?: LongContextPrice | null };

const MICRO = 1_000_000;
const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** Parses a decimal USD amount ("3", "0.035", "12.5") into integer micro-units; null when it is not one. */
export function parseMicros(text: string): number | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * MICRO + Number((m[2] ?? "").padEnd(6, "0"));
}

/** Formats micro-dollars as a decimal USD string with six decimals ("0.002738"), the form every report prints. */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / MICRO)}.${String(abs % MICRO).padStart(6, "0")}`;
}

/** A float USD-per-million price (the legacy MODELS setting) as micro-dollars, through its decimal spelling. */
export function microsFromNumber(usd: number): number | null {
  if (!Number.isFinite(usd) || usd < 0) return null;
  return parseMicros(usd.toFixed(6).replace(/\.?0+$/, "") || "0");
}

function bucketRates(p: Price) {
  return { input: p.input, output: p.output, cacheRead: p.cacheRead ?? p.input, cacheWrite: p.cacheWrite ?? p.input };
}

/** The price that applies to a request with this much input (all input buckets count toward the threshold). */
export function effectivePrice(pricing: Pricing, totalInputTokens: number): Price {
  const lc = pricing.longContext;
  return lc && totalInputTokens > lc.aboveInputTokens ? lc.price : pricing.price;
}

/** Exact cost of a request in micro-dollars: each bucket at its own rate, rounded half up once. */
export function costMicros(u: NormalizedUsage, pricing: Pricing): number {
  const r = bucketRates(effectivePrice(pricing, u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens));
  const scaled = u.inputTokens * r.input + u.outputTokens * r.output + u.cacheReadTokens * r.cacheRead + u.cacheWriteTokens * r.cacheWrite;
  return Math.floor((scaled + MICRO / 2) / MICRO);
}

/**
 * The most a request can cost: its input estimate at the dearest input rate (a cache write costs more than plain
 * input) and its whole output limit at the output rate, at long-context prices when it could cross the threshold.
 */
export function maxCostMicros(inputTokens: number, maxOutputTokens: number, pricing: Pricing): number {
  const prices = [pricing.price, ...(pricing.longContext ? [pricing.longContext.price] : [])].map(bucketRates);
  let worst = 0;
  for (const r of prices) {
    const scaled = inputTokens * Math.max(r.input, r.cacheWrite, r.cacheRead) + maxOutputTokens * r.output;
    worst = Math.max(worst, Math.ceil(scaled / MICRO));
  }
  return worst;
}
