// The JSON the CLI prints: snake_case members, money as six-decimal USD strings, times as ISO 8601 (UTC).
// Admins script against these shapes; never a key hash, and a key's secret only in the create/rotate result.
import type { Changes } from "../db/audit";
import type { ApiKeyRecord, CreatedKey, KeyListing, KeyStatus } from "../db/keys";
import type { PolicyListing, PolicyRecord } from "../db/policies";
import type { PriceRow, TargetRow } from "../db/schema";
import type { ModelRowInput } from "../models/catalogue";
import type { Policy } from "../policy/limits";
import { formatMicros } from "../usage/cost";
import { isoOrNull, usdOrNull } from "./format";

export function policyJson(p: Policy) {
  return {
    models: p.allowedModels,
    rpm_limit: p.rpmLimit,
    tpm_limit: p.tpmLimit,
    budget_daily_usd: usdOrNull(p.budgetDailyMicros),
    budget_monthly_usd: usdOrNull(p.budgetMonthlyMicros),
  };
}

/** `keys create --json` and `keys rotate --json`: the only output that holds the key itself. */
export function createdKeyJson(k: CreatedKey) {
  return {
    id: k.id,
    key: k.key,
    prefix: k.prefix,
    user: k.user,
    team: k.team,
    name: k.name,
    ...policyJson(k),
    created_at: k.createdAt.toISOString(),
    expires_at: isoOrNull(k.expiresAt),
  };
}

/** A key as `keys list`, `update` and `revoke` print it. */
export function keyJson(k: ApiKeyRecord, status: KeyStatus) {
  return {
    id: k.id,
    prefix: k.prefix,
    user: k.user,
    team: k.team,
    name: k.name,
    ...policyJson(k),
    status,
    created_at: k.createdAt.toISOString(),
    last_used_at: isoOrNull(k.lastUsedAt),
    expires_at: isoOrNull(k.expiresAt),
    revoked_at: isoOrNull(k.revokedAt),
    replaced_by: k.replacedBy,
  };
}

export function keyListingJson(k: KeyListing, status: KeyStatus) {
  return { ...keyJson(k, status), spent_today_usd: formatMicros(k.spentTodayMicros), spent_month_usd: formatMicros(k.spentMonthMicros) };
}

/** A user (`user`: the email) or a team (`team`: its name). */
export function policyRecordJson(level: "user" | "team", r: PolicyRecord) {
  return { [level]: r.name, ...policyJson(r), created_at: r.createdAt.toISOString(), updated_at: r.updatedAt.toISOString() };
}

export function policyListingJson(level: "user" | "team", r: PolicyListing) {
  return { ...policyRecordJson(level, r), spent_today_usd: formatMicros(r.spentTodayMicros), spent_month_usd: formatMicros(r.spentMonthMicros) };
}

/** Prices in USD per million tokens, as six-decimal strings; null when unknown. */
export function priceJson(p: PriceRow | null | undefined) {
  if (!p) return null;
  return {
    input: formatMicros(p.input),
    output: formatMicros(p.output),
    cache_read: usdOrNull(p.cacheRead),
    cache_write: usdOrNull(p.cacheWrite),
  };
}

const targetJson = (t: TargetRow) => ({ model_id: t.modelId, region: t.region ?? null, price: priceJson(t.price) });

export function modelJson(m: ModelRowInput) {
  return {
    alias: m.alias,
    aliases: m.aliases,
    kind: m.kind,
    targets: m.targets.map(targetJson),
    price: priceJson(m.price),
    long_context: m.longContext ? { above_input_tokens: m.longContext.aboveInputTokens, price: priceJson(m.longContext.price) } : null,
    enabled: m.enabled,
    source: m.source ?? null,
  };
}

const CHANGE_NAMES: Record<string, string> = {
  allowedModels: "models",
  rpmLimit: "rpm_limit",
  tpmLimit: "tpm_limit",
  budgetDailyMicros: "budget_daily_usd",
  budgetMonthlyMicros: "budget_monthly_usd",
  expiresAt: "expires_at",
};

function changeValue(field: string, v: unknown): unknown {
  if (v == null) return null;
  if (field.endsWith("Micros") && typeof v === "number") return formatMicros(v);
  if (field === "price") return priceJson(v as PriceRow);
  if (field === "targets") return (v as TargetRow[]).map(targetJson);
  return v instanceof Date ? v.toISOString() : v;
}

/** What a change did, `{ member: { from, to } }`, with the same member names and spellings as the objects. */
export function changesJson(changes: Changes): Record<string, { from: unknown; to: unknown }> {
  return Object.fromEntries(Object.entries(changes).map(([f, { from, to }]) => [CHANGE_NAMES[f] ?? f, { from: changeValue(f, from), to: changeValue(f, to) }]));
}
