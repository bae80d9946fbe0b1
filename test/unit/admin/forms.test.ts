import { describe, expect, it } from "vitest";
import { parseGrace, parseKeyUpdate, parseNewKey } from "../../../src/admin/forms";

const NOW = Date.parse("2026-12-02T12:00:00Z");

describe("parseNewKey", () => {
  it.each([
    [{ user: " Alice@Example.com " }, { user: "alice@example.com", team: null, name: null, expiresAt: null }],
    [
      {
        user: "a@b.example",
        team: "platform",
        name: "ci",
        models: "claude-*, nova-lite",
        rpm: "60",
        tpm: 10000,
        budget_daily_usd: "2.50",
        budget_monthly_usd: "$100",
      },
      {
        user: "a@b.example",
        team: "platform",
        name: "ci",
        allowedModels: ["claude-*", "nova-lite"],
        rpmLimit: 60,
        tpmLimit: 10_000,
        budgetDailyMicros: 2_500_000,
        budgetMonthlyMicros: 100_000_000,
      },
    ],
    [{ user: "a@b.example", expires: "90d" }, { expiresAt: new Date(NOW + 90 * 86_400_000) }],
    [{ user: "a@b.example", expires: "2027-01-31" }, { expiresAt: new Date("2027-01-31T00:00:00Z") }],
    [{ user: "a@b.example", rpm: "", models: " ", budget_daily_usd: "none" }, { user: "a@b.example" }],
  ])("%o", (fields, want) => {
    const r = parseNewKey(fields, NOW, "console:abc@127.0.0.1");
    if (!r.ok) throw new Error(r.message);
    expect(r.value).toMatchObject({ ...want, actor: "console:abc@127.0.0.1" });
    if (!("rpm" in fields) || fields.rpm === "") expect(r.value.rpmLimit).toBeUndefined();
  });

  it.each([
    [{}, "user"],
    [{ user: "alice" }, "user"],
    [{ user: "a@b.example", team: "x".repeat(201) }, "team"],
    [{ user: "a@b.example", name: "bad\u0007" }, "name"],
    [{ user: "a@b.example", rpm: "0" }, "rpm"],
    [{ user: "a@b.example", rpm: "1.5" }, "rpm"],
    [{ user: "a@b.example", tpm: "99999999999" }, "tpm"],
    [{ user: "a@b.example", budget_daily_usd: "-1" }, "budget_daily_usd"],
    [{ user: "a@b.example", budget_monthly_usd: "1.0000001" }, "budget_monthly_usd"],
    [{ user: "a@b.example", models: "claude sonnet!" }, "models"],
    [{ user: "a@b.example", expires: "2020-01-01" }, "expires"],
    [{ user: "a@b.example", expires: "soon" }, "expires"],
  ])("%o is refused naming %s", (fields, field) => {
    const r = parseNewKey(fields, NOW, "x");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe(field);
  });
});

describe("parseKeyUpdate", () => {
  it.each([
    [{}, {}],
    [{ rpm: "" }, { rpmLimit: null }],
    [
      { rpm: "10", tpm: "none" },
      { rpmLimit: 10, tpmLimit: null },
    ],
    [{ models: "" }, { allowedModels: null }],
    [{ budget_daily_usd: "0" }, { budgetDailyMicros: 0 }],
    [{ expires: "" }, { expiresAt: null }],
    [{ user: "ignored@x.example" }, {}],
  ])("%o → %o", (fields, want) => {
    const r = parseKeyUpdate(fields, NOW);
    if (!r.ok) throw new Error(r.message);
    expect(r.value).toEqual(want);
  });
});

describe("parseGrace", () => {
  it.each([
    [undefined, NOW + 86_400_000],
    ["", NOW + 86_400_000],
    ["0", NOW],
    ["12h", NOW + 12 * 3_600_000],
    ["7d", NOW + 7 * 86_400_000],
  ])("%s", (v, at) => {
    const r = parseGrace(v, NOW);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.getTime()).toBe(at);
  });
  it.each(["1w", "-1h", "tomorrow"])("%s is refused", (v) => expect(parseGrace(v, NOW).ok).toBe(false));
});
