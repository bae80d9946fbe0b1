import { describe, expect, it } from "vitest";
import { policyPatch } from "../../../src/cli/policy-flags";

describe("policy flags", () => {
  it.each([
    [{}, {}],
    [
      { rpm: "60", tpm: "100000" },
      { rpmLimit: 60, tpmLimit: 100000 },
    ],
    [{ models: "claude-*,nova-pro" }, { allowedModels: ["claude-*", "nova-pro"] }],
    [
      { "budget-daily": "5", "budget-monthly": "12.50" },
      { budgetDailyMicros: 5_000_000, budgetMonthlyMicros: 12_500_000 },
    ],
    [
      { rpm: "none", tpm: "", models: "NONE", "budget-daily": "none", "budget-monthly": "" },
      { rpmLimit: null, tpmLimit: null, allowedModels: null, budgetDailyMicros: null, budgetMonthlyMicros: null },
    ],
  ])("%j", (values, patch) => {
    expect(policyPatch(values)).toEqual(patch);
  });

  it.each([
    [{ rpm: "0" }, "--rpm must be a whole number"],
    [{ tpm: "1k" }, "--tpm must be a whole number"],
    [{ "budget-daily": "-5" }, "--budget-daily must be an amount in USD"],
    [{ "budget-monthly": "0.0000001" }, "--budget-monthly must be an amount in USD"],
    [{ models: "a b" }, "--models must be a comma-separated list"],
  ])("refuses %j", (values, message) => {
    expect(() => policyPatch(values)).toThrow(message);
  });
});
