import { asc, eq, sql } from "drizzle-orm";
import type { Clock } from "../deps";
import type { ModelRowInput } from "../models/catalogue";
import { AdminError, changesBetween, recordChange, type Changes } from "./audit";
import type { Db } from "./client";
import { rowsOf } from "./rows";
import { models, type PriceRow, type TargetRow } from "./schema";

/** Every row of the model catalogue, in alias order. */
export async function listModelRows(db: Db): Promise<ModelRowInput[]> {
  const rows = await db.select().from(models).orderBy(asc(models.alias));
  return rows.map(inputFromRow);
}

/**
 * Writes the seed into the catalogue: rows whose alias is missing are added, existing rows (which an admin may have
 * changed) are kept, except those listed in `replace` (the MODELS setting: explicit configuration wins).
 * Returns how many rows were written.
 */
export async function seedModels(db: Db, rows: readonly ModelRowInput[], replace: readonly string[] = []): Promise<number> {
  if (rows.length === 0) return 0;
  const values = rows.map((r) => ({
    alias: r.alias,
    aliases: r.aliases,
    kind: r.kind,
    targets: r.targets,
    price: r.price,
    longContext: r.longContext,
    capabilities: r.capabilities,
    enabled: r.enabled,
    source: r.source ?? null,
  }));
  const replaceSet = new Set(replace);
  const keep = values.filter((v) => !replaceSet.has(v.alias));
  const overwrite = values.filter((v) => replaceSet.has(v.alias));
  let written = 0;
  if (keep.length > 0) written += (await db.insert(models).values(keep).onConflictDoNothing().returning({ a: models.alias })).length;
  if (overwrite.length > 0) {
    written += (
      await db
        .insert(models)
        .values(overwrite)
        .onConflictDoUpdate({
          target: models.alias,
          set: {
            aliases: sql`excluded.aliases`,
            kind: sql`excluded.kind`,
            targets: sql`excluded.targets`,
            price: sql`excluded.price`,
            longContext: sql`excluded.long_context`,
            capabilities: sql`excluded.capabilities`,
            enabled: sql`excluded.enabled`,
            source: sql`excluded.source`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ a: models.alias })
    ).length;
  }
  return written;
}

/** What `models set` changes; a field left undefined keeps its value. Prices are micro-dollars per million tokens. */
export type ModelChange = {
  alias: string;
  /** Ordered fallback list; a target already listed (same id and region) keeps its own price. */
  targets?: { modelId: string; region?: string }[];
  /** A cache rate given as null is removed (such tokens are then charged at the input rate). */
  price?: { input?: number; output?: number; cacheRead?: number | null; cacheWrite?: number | null };
  /** The other names, replacing the current ones. */
  aliases?: string[];
  kind?: "chat" | "embedding";
  /** A listed target's own price, replacing the one it has; null removes it (the target then costs the model's price). */
  targetPrices?: { modelId: string; region?: string; price: PriceRow | null }[];
};

const MODEL_FIELDS = ["kind", "aliases", "targets", "price", "enabled"] as const;

function inputFromRow(r: typeof models.$inferSelect): ModelRowInput {
  return {
    alias: r.alias,
    aliases: r.aliases,
    kind: r.kind,
    targets: r.targets,
    price: r.price ?? null,
    longContext: r.longContext ?? null,
    capabilities: r.capabilities,
    enabled: r.enabled,
    source: r.source,
  };
}

function mergePrice(alias: string, current: PriceRow | null, change: ModelChange["price"]): PriceRow | null {
  if (!change || Object.keys(change).length === 0) return current;
  const input = change.input ?? current?.input;
  const output = change.output ?? current?.output;
  if (input === undefined || output === undefined) {
    throw new AdminError(`model ${alias} has no price yet: give both --input and --output (USD per million tokens)`);
  }
  const next: PriceRow = { input, output };
  const cacheRead = change.cacheRead === undefined ? current?.cacheRead : change.cacheRead;
  const cacheWrite = change.cacheWrite === undefined ? current?.cacheWrite : change.cacheWrite;
  if (cacheRead != null) next.cacheRead = cacheRead;
  if (cacheWrite != null) next.cacheWrite = cacheWrite;
  return next;
}

function mergeTargets(current: readonly TargetRow[], wanted: ModelChange["targets"]): TargetRow[] {
  if (!wanted) return [...current];
  return wanted.map((t) => {
    const same = current.find((c) => c.modelId === t.modelId && (c.region ?? null) === (t.region ?? null));
    return { modelId: t.modelId, ...(t.region ? { region: t.region } : {}), ...(same?.price ? { price: same.price } : {}) };
  });
}

function applyTargetPrices(alias: string, targets: TargetRow[], wanted: ModelChange["targetPrices"]): TargetRow[] {
  if (!wanted?.length) return targets;
  const next = targets.map((t) => ({ ...t }));
  for (const w of wanted) {
    const t = next.find((c) => c.modelId === w.modelId && (c.region ?? null) === (w.region ?? null));
    if (!t) throw new AdminError(`model ${alias} has no target ${w.region ? `${w.modelId}@${w.region}` : w.modelId} (see \`bedrock-gateway models list\`)`);
    if (w.price) t.price = { ...w.price };
    else delete t.price;
  }
  return next;
}

/**
 * Adds a model or changes one (`models set`). A new model needs a target; its price stays unknown (null) unless
 * both input and output prices are given. Refuses names another model already answers to.
 */
export async function setModel(
  db: Db,
  change: ModelChange,
  clock: Clock,
  actor = "system",
): Promise<{ record: ModelRowInput; created: boolean; changes: Changes }> {
  const at = new Date(clock.now());
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(models).where(eq(models.alias, change.alias)).for("update");
    const cur = row ? inputFromRow(row) : null;
    if (!cur && !change.targets?.length) throw new AdminError(`model ${change.alias} is new: give at least one --target BEDROCK_ID[@REGION]`);
    const aliases = change.aliases ? [...new Set(change.aliases)].filter((a) => a !== change.alias) : (cur?.aliases ?? []);
    await refuseTakenNames(tx, change.alias, aliases);
    const price = mergePrice(change.alias, cur?.price ?? null, change.price);
    const next = {
      kind: change.kind ?? cur?.kind ?? "chat",
      aliases,
      targets: applyTargetPrices(change.alias, mergeTargets(cur?.targets ?? [], change.targets), change.targetPrices),
      price,
      enabled: cur?.enabled ?? true,
    };
    const changes = changesBetween(cur ?? {}, next, MODEL_FIELDS);
    if (cur && Object.keys(changes).length === 0) return { record: cur, created: false, changes };
    // The source says where a price comes from: an admin's price is theirs, dated like the seed's.
    const priced = changes.price || (change.targetPrices?.length && changes.targets);
    const source = !cur || priced ? `${actor} (${at.toISOString().slice(0, 10)})` : cur.source;
    const values = { ...next, source, updatedAt: at };
    const [written] = cur
      ? await tx.update(models).set(values).where(eq(models.alias, change.alias)).returning()
      : await tx
          .insert(models)
          .values({ alias: change.alias, ...values, createdAt: at })
          .returning();
    await recordChange(tx, { actor, action: "model.set", target: `model:${change.alias}`, details: { created: !cur, changes }, at }, { kind: "models" });
    return { record: inputFromRow(written), created: !cur, changes };
  });
}

async function refuseTakenNames(tx: Pick<Db, "execute">, alias: string, aliases: readonly string[]): Promise<void> {
  const names = JSON.stringify([alias, ...aliases]);
  const taken = rowsOf<{ alias: string; name: string }>(
    await tx.execute(sql`
      select m.alias, n.name from models m, jsonb_array_elements_text(${names}::jsonb) as n(name)
      where m.alias <> ${alias} and (m.alias = n.name or n.name = any(m.aliases))
      order by n.name limit 1`),
  );
  if (taken[0]) throw new AdminError(`the name ${taken[0].name} is already used by model ${taken[0].alias}`);
}

/** Turns a model on or off (`models enable|disable`); null when no model has this alias. */
export async function setModelEnabled(
  db: Db,
  alias: string,
  enabled: boolean,
  clock: Clock,
  actor = "system",
): Promise<{ record: ModelRowInput; changed: boolean } | null> {
  const at = new Date(clock.now());
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(models).where(eq(models.alias, alias)).for("update");
    if (!row) return null;
    if (row.enabled === enabled) return { record: inputFromRow(row), changed: false };
    const [written] = await tx.update(models).set({ enabled, updatedAt: at }).where(eq(models.alias, alias)).returning();
    await recordChange(tx, { actor, action: enabled ? "model.enable" : "model.disable", target: `model:${alias}`, details: {}, at }, { kind: "models" });
    return { record: inputFromRow(written), changed: true };
  });
}

/** The catalogue row with this alias, or null. */
export async function findModelRow(db: Db, alias: string): Promise<ModelRowInput | null> {
  const [row] = await db.select().from(models).where(eq(models.alias, alias)).limit(1);
  return row ? inputFromRow(row) : null;
}

/** The alias of the model that has `name` among its other names (for a helpful "did you mean"). */
export async function aliasOfName(db: Db, name: string): Promise<string | null> {
  const rows = await db.select({ alias: models.alias }).from(models).where(sql`${name} = any(${models.aliases})`).limit(1);
  return rows[0]?.alias ?? null;
}
