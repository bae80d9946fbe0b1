// Human-readable policy and change lines for the CLI's plain output. Pure.
import type { Changes } from "../../db/audit";
import type { PriceRow, TargetRow } from "../../db/schema";
import type { Policy } from "../../policy/limits";
import { formatMicros } from "../../usage/cost";
import { formatDate } from "../format";

/** `models:   claude-*, nova-pro` … one line per policy field; `-` where the level sets no limit. */
export function describePolicy(p: Policy): string[] {
  return [
    `models:   ${p.allowedModels ? p.allowedModels.join(", ") : "- (not limited at this level)"}`,
    `rpm:      ${p.rpmLimit ?? "-"}`,
    `tpm:      ${p.tpmLimit ?? "-"}`,
    `daily:    ${p.budgetDailyMicros == null ? "-" : `USD ${formatMicros(p.budgetDailyMicros)}`}`,
    `monthly:  ${p.budgetMonthlyMicros == null ? "-" : `USD ${formatMicros(p.budgetMonthlyMicros)}`}`,
  ];
}

const FIELD_NAMES: Record<string, string> = {
  allowedModels: "models",
  rpmLimit: "rpm",
  tpmLimit: "tpm",
  budgetDailyMicros: "daily budget",
  budgetMonthlyMicros: "monthly budget",
  expiresAt: "expires",
  aliases: "other names",
  targets: "targets",
  price: "price",
  kind: "kind",
  enabled: "enabled",
};

/** `rpm: 60 -> none`, one line per changed field. */
export function describeChanges(changes: Changes): string[] {
  return Object.entries(changes).map(([field, { from, to }]) => `${FIELD_NAMES[field] ?? field}: ${describeValue(field, from)} -> ${describeValue(field, to)}`);
}

function describeValue(field: string, v: unknown): string {
  if (v == null) return field === "expiresAt" ? "never" : "none";
  if (field.endsWith("Micros") && typeof v === "number") return `USD ${formatMicros(v)}`;
  if (v instanceof Date) return formatDate(v);
  if (field === "price") return describePrice(v as PriceRow);
  if (field === "targets") return (v as TargetRow[]).map((t) => (t.price ? `${describeTarget(t)} (${describePrice(t.price)})` : describeTarget(t))).join(", ");
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.join(", ");
  return String(v);
}

export const describeTarget = (t: { modelId: string; region?: string | null }) => (t.region ? `${t.modelId}@${t.region}` : t.modelId);

/** `in 3.000000 / out 15.000000 / cache read 0.300000 / cache write 3.750000` (USD per million tokens). */
export function describePrice(p: PriceRow | null | undefined): string {
  if (!p) return "unknown";
  const parts = [`in ${formatMicros(p.input)}`, `out ${formatMicros(p.output)}`];
  if (p.cacheRead !== undefined) parts.push(`cache read ${formatMicros(p.cacheRead)}`);
  if (p.cacheWrite !== undefined) parts.push(`cache write ${formatMicros(p.cacheWrite)}`);
  return parts.join(" / ");
}
