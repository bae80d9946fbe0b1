/**
 * The catalogue the gateway serves from: rows of the `models` table (aliases, ordered targets, prices, enabled),
 * each completed with the capabilities its model family has in code. The seed (seed.ts) and the MODELS setting are
 * only ways to fill the table; the table is the one catalogue.
 */
import { ModelEntrySchema, type ModelEntry, type ModelEntryInput } from "../catalogue";
import type { PriceRow, TargetRow } from "../db/schema";
import { microsFromNumber, parseMicros, type Price, type Pricing } from "../usage/cost";
import { capabilitiesFor } from "./capabilities";
import { SEED_MODELS, type SeedPrice } from "./seed";

export type ModelTarget = { modelId: string; region: string | null; pricing: Pricing | null };

/** A catalogue entry: what translation needs (ModelEntry, with `bedrockModelId` its first target) plus targets and prices. */
export type CatalogueModel = ModelEntry & {
  targets: ModelTarget[];
  /** null: the price is unknown, so no cost can be computed. */
  pricing: Pricing | null;
  enabled: boolean;
};

/** A `models` row as the catalogue reads it. */
export type ModelRowInput = {
  alias: string;
  aliases: string[];
  kind: "chat" | "embedding";
  targets: TargetRow[];
  price: PriceRow | null;
  longContext: { aboveInputTokens: number; price: PriceRow } | null;
  capabilities: Record<string, unknown>;
  enabled: boolean;
  source?: string | null;
};

export type Catalogue = {
  /** Enabled and disabled entries, in table order. */
  models: CatalogueModel[];
  /** An enabled entry by alias, other name, or the Bedrock id of one of its targets. */
  resolve(name: string): CatalogueModel | undefined;
};

function pricingOf(price: PriceRow | null | undefined, longContext: ModelRowInput["longContext"]): Pricing | null {
  if (!price) return null;
  return { price, longContext: longContext ?? null };
}

/** Builds the entry of one row; capability overrides in the row win over the family's. */
export function modelFromRow(row: ModelRowInput): CatalogueModel {
  const first = row.targets[0];
  if (!first) throw new Error(`model ${row.alias} has no targets`);
  const pricing = pricingOf(row.price, row.longContext);
  const entry = ModelEntrySchema.parse({
    ...capabilitiesFor(first.modelId),
    ...row.capabilities,
    id: row.alias,
    bedrockModelId: first.modelId,
    aliases: row.aliases,
    kind: row.kind,
  });
  return {
    ...entry,
    enabled: row.enabled,
    pricing,
    targets: row.targets.map((t) => ({
      modelId: t.modelId,
      region: t.region ?? null,
      pricing: t.price ? { price: t.price, longContext: pricing?.longContext ?? null } : pricing,
    })),
  };
}

export function catalogueFromRows(rows: readonly ModelRowInput[]): Catalogue {
  const models = rows.map(modelFromRow);
  const byName = new Map<string, CatalogueModel>();
  for (const m of models) {
    if (!m.enabled) continue;
    for (const name of [m.id, ...m.aliases]) if (!byName.has(name)) byName.set(name, m);
  }
  // Bedrock ids resolve too, unless that name is already taken by an alias.
  for (const m of models) {
    if (!m.enabled) continue;
    for (const t of m.targets) if (!byName.has(t.modelId)) byName.set(t.modelId, m);
  }
  return { models, resolve: (name) => byName.get(name) };
}

function priceFromSeed(p: SeedPrice): PriceRow {
  const req = (v: string) => {
    const n = parseMicros(v);
    if (n === null) throw new Error(`bad seed price ${v}`);
    return n;
  };
  const out: PriceRow = { input: req(p.input), output: req(p.output) };
  if (p.cacheRead !== undefined) out.cacheRead = req(p.cacheRead);
  if (p.cacheWrite !== undefined) out.cacheWrite = req(p.cacheWrite);
  return out;
}

/** The seed as `models` rows (prices in micro-dollars per million tokens). */
export function seedModelRows(): ModelRowInput[] {
  return SEED_MODELS.map((m) => ({
    alias: m.alias,
    aliases: m.aliases ?? [],
    kind: m.kind,
    targets: m.targets.map((t) => ({ modelId: t.modelId, ...(t.region ? { region: t.region } : {}), ...(t.price ? { price: priceFromSeed(t.price) } : {}) })),
    price: priceFromSeed(m.price),
    longContext: m.longContext ? { aboveInputTokens: m.longContext.aboveInputTokens, price: priceFromSeed(m.longContext.price) } : null,
    capabilities: {},
    enabled: true,
    source: `${m.source} (${m.asOf})`,
  }));
}

const CAPABILITY_KEYS = Object.keys(ModelEntrySchema.shape).filter((k) => !["id", "bedrockModelId", "aliases", "kind", "price"].includes(k));

/**
 * A legacy catalogue entry (the MODELS setting: float USD prices, capabilities inline) as a `models` row. Only the
 * capabilities the entry states become overrides; the rest follow the model family.
 */
export function rowFromEntry(e: ModelEntryInput): ModelRowInput {
  const price = e.price;
  const m = (v: number | undefined) => (v === undefined ? undefined : (microsFromNumber(v) ?? undefined));
  const priceRow: Price | null = price ? { input: m(price.input) ?? 0, output: m(price.output) ?? 0 } : null;
  if (priceRow && price?.cacheRead !== undefined) priceRow.cacheRead = m(price.cacheRead);
  if (priceRow && price?.cacheWrite !== undefined) priceRow.cacheWrite = m(price.cacheWrite);
  const capabilities: Record<string, unknown> = {};
  for (const k of CAPABILITY_KEYS) if ((e as Record<string, unknown>)[k] !== undefined) capabilities[k] = (e as Record<string, unknown>)[k];
  return {
    alias: e.id,
    aliases: e.aliases ?? [],
    kind: e.kind ?? "chat",
    targets: [{ modelId: e.bedrockModelId }],
    price: priceRow,
    longContext: null,
    capabilities,
    enabled: true,
    source: "MODELS setting",
  };
}

/** The seed with MODELS entries replacing (same alias) or added: what `migrate` writes to an empty catalogue. */
export function defaultModelRows(extra: readonly ModelEntryInput[] = []): ModelRowInput[] {
  const extraRows = extra.map(rowFromEntry);
  const replaced = new Set(extraRows.map((r) => r.alias));
  return [...seedModelRows().filter((r) => !replaced.has(r.alias)), ...extraRows];
}

/** A fixed catalogue (tests, and a database whose `models` table is still empty). */
export function staticCatalogue(rows: readonly ModelRowInput[] = defaultModelRows()): Catalogue {
  return catalogueFromRows(rows);
}
