// The POLICY flags shared by `keys create|update`, `users set` and `teams set`.
import type { PolicyPatch } from "../db/audit";
import type { FlagValues } from "./args";
import { isNone, parseLimit, parseModelList, parseUsd } from "./values";

export const POLICY_FLAGS = {
  models: "string",
  rpm: "string",
  tpm: "string",
  "budget-daily": "string",
  "budget-monthly": "string",
} as const;

/**
 * The policy fields the flags set: a flag left out leaves its field unchanged (undefined), `none` or an empty
 * value clears it (null), anything else is parsed or refused with a one-line UsageError.
 */
export function policyPatch(values: FlagValues<typeof POLICY_FLAGS>): PolicyPatch {
  const patch: PolicyPatch = {};
  const each = <T>(v: string | undefined, parse: (v: string) => T): T | null | undefined => (v === undefined ? undefined : isNone(v) ? null : parse(v));
  const models = each(values.models, (v) => parseModelList(v));
  const rpm = each(values.rpm, (v) => parseLimit(v, "--rpm"));
  const tpm = each(values.tpm, (v) => parseLimit(v, "--tpm"));
  const daily = each(values["budget-daily"], (v) => parseUsd(v, "--budget-daily"));
  const monthly = each(values["budget-monthly"], (v) => parseUsd(v, "--budget-monthly"));
  if (models !== undefined) patch.allowedModels = models;
  if (rpm !== undefined) patch.rpmLimit = rpm;
  if (tpm !== undefined) patch.tpmLimit = tpm;
  if (daily !== undefined) patch.budgetDailyMicros = daily;
  if (monthly !== undefined) patch.budgetMonthlyMicros = monthly;
  return patch;
}
