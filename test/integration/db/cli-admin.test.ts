// `users`, `teams` and `models` in-process on Postgres and PGlite: policy rows, the catalogue, audit rows.
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "../../../src/deps";
import { auditLog, models, spendLedger, teams, users } from "../../../src/db/schema";
import { randomEmail, randomTeam } from "../../support/db";
import { cliBackends, runInProcess, type CliBackend } from "./cli-harness";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const at = (ms: number) => ({ now: () => ms });
const POLICY_MEMBERS = ["models", "rpm_limit", "tpm_limit", "budget_daily_usd", "budget_monthly_usd", "created_at", "updated_at"];

describe.each(cliBackends)("users, teams and models on $name", ({ open }) => {
  let b: CliBackend;
  const emails: string[] = [];
  const teamNames: string[] = [];
  const aliases: string[] = [];
  const run = (args: string[], now = T0) => runInProcess(args, b.env, at(now));
  const audit = (target: string) => b.db.select().from(auditLog).where(eq(auditLog.target, target)).orderBy(auditLog.id);

  beforeAll(async () => {
    b = await open();
  });
  afterAll(async () => {
    const targets = [...emails.map((e) => `user:${e}`), ...teamNames.map((t) => `team:${t}`), ...aliases.map((a) => `model:${a}`)];
    if (targets.length > 0) {
      await b.db.delete(auditLog).where(inArray(auditLog.target, targets));
      await b.db.delete(spendLedger).where(inArray(spendLedger.subject, targets));
    }
    if (emails.length > 0) await b.db.delete(users).where(inArray(users.email, emails));
    if (teamNames.length > 0) await b.db.delete(teams).where(inArray(teams.name, teamNames));
    if (aliases.length > 0) await b.db.delete(models).where(inArray(models.alias, aliases));
    await b.close();
  });

  it("users set adds a user with a policy, changes only what is given, and clears with none", async () => {
    const email = randomEmail();
    emails.push(email);
    const added = await run(["users", "set", email.toUpperCase(), "--models", "claude-*", "--budget-daily", "10", "--json"]);
    expect(added.code, added.stderr).toBe(0);
    const o = JSON.parse(added.stdout);
    expect(Object.keys(o)).toEqual(["user", ...POLICY_MEMBERS, "created", "changes"]);
    expect(o).toMatchObject({ user: email, models: ["claude-*"], rpm_limit: null, budget_daily_usd: "10.000000", created: true });
    const changed = await run(["users", "set", email, "--rpm", "120", "--budget-daily", "none"], T0 + 1000);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.lines).toEqual([`Updated user ${email}:`, "  rpm: none -> 120", "  daily budget: USD 10.000000 -> none"]);
    const same = await run(["users", "set", email, "--rpm", "120"]);
    expect(same.stdout).toBe(`Nothing to change: user ${email} already has these settings.`);
    const [row] = await b.db.select().from(users).where(eq(users.email, email));
    expect(row).toMatchObject({ allowedModels: ["claude-*"], rpmLimit: 120, budgetDailyMicros: null });
    const rows = await audit(`user:${email}`);
    expect(rows.map((a) => [a.action, a.actor])).toEqual([
      ["user.set", "cli:test"],
      ["user.set", "cli:test"],
    ]);
    expect(rows[1].details).toEqual({ created: false, changes: { rpmLimit: { from: null, to: 120 }, budgetDailyMicros: { from: 10_000_000, to: null } } });
  });

  it("teams set and list show spend from the ledger (UTC day and month)", async () => {
    const team = randomTeam();
    teamNames.push(team);
    const set = await run(["teams", "set", team, "--tpm", "50000", "--budget-monthly", "250"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.lines[0]).toBe(`Added team ${team}:`);
    await b.db.insert(spendLedger).values([
      { subject: `team:${team}`, period: "d2026-12-02", spentMicros: 42 },
      { subject: `team:${team}`, period: "m2026-12", spentMicros: 123_456_789 },
    ]);
    const list = await run(["teams", "list", "--json"]);
    const mine = JSON.parse(list.stdout).find((t: { team: string }) => t.team === team);
    expect(mine).toMatchObject({ tpm_limit: 50000, budget_monthly_usd: "250.000000", spent_today_usd: "0.000042", spent_month_usd: "123.456789" });
    const table = await run(["teams", "list"]);
    expect(table.lines[0]).toMatch(/^TEAM\s+MODELS\s+RPM\s+TPM\s+TODAY USD\s+MONTH USD$/);
    expect(table.lines.find((l) => l.startsWith(team))).toMatch(/-\s+-\s+50000\s+0\.000042\s+123\.456789\/250\.000000$/);
    const users = await run(["users", "list", "--json"]);
    expect(Array.isArray(JSON.parse(users.stdout))).toBe(true);
  });

  it("models list shows the seeded catalogue with prices in USD per million as decimal strings", async () => {
    const r = await run(["models", "list", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const sonnet = JSON.parse(r.stdout).find((m: { alias: string }) => m.alias === "claude-sonnet-4-5");
    expect(sonnet).toMatchObject({
      aliases: ["claude-sonnet-4-5-20250929"],
      kind: "chat",
      price: { input: "3.300000", output: "16.500000", cache_read: "0.330000", cache_write: "4.125000" },
      enabled: true,
    });
    expect(sonnet.targets[0]).toEqual({ model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", region: null, price: null });
    expect(sonnet.targets[1]).toMatchObject({ model_id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", price: { input: "3.000000" } });
    expect(sonnet.source).toContain("platform.claude.com");
    const table = await run(["models", "list"]);
    expect(table.lines[0]).toMatch(/^ALIAS\s+OTHER NAMES\s+TARGETS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+ENABLED\s+SOURCE$/);
    expect(table.lines.find((l) => l.startsWith("claude-sonnet-4-5 "))).toMatch(/3\.300000\s+16\.500000\s+0\.330000\s+4\.125000\s+yes/);
  });

  it("models set adds a model (unknown price without --input/--output), then keeps its prices unless given", async () => {
    const alias = `m-${randomId(8).toLowerCase()}`;
    aliases.push(alias);
    const added = await run(["models", "set", alias, "--target", "us.amazon.nova-pro-v1:0", "--target", "amazon.nova-pro-v1:0@us-west-2", "--json"]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      alias,
      aliases: [],
      targets: [
        { model_id: "us.amazon.nova-pro-v1:0", region: null },
        { model_id: "amazon.nova-pro-v1:0", region: "us-west-2" },
      ],
      price: null,
      enabled: true,
      source: "cli:test (2026-12-02)",
      created: true,
    });
    const half = await run(["models", "set", alias, "--input", "0.8"]);
    expect(half.code).toBe(1);
    expect(half.stderr).toBe(`bedrock-gateway: model ${alias} has no price yet: give both --input and --output (USD per million tokens)`);
    const priced = await run(["models", "set", alias, "--input", "0.8", "--output", "3.2", "--cache-read", "0.2", "--alias", `${alias}-latest`]);
    expect(priced.code, priced.stderr).toBe(0);
    const retarget = await run(["models", "set", alias, "--target", "us.amazon.nova-pro-v1:0@us-east-1", "--output", "3.25", "--json"], T0 + 1000);
    const o = JSON.parse(retarget.stdout);
    expect(o).toMatchObject({
      targets: [{ model_id: "us.amazon.nova-pro-v1:0", region: "us-east-1" }],
      price: { input: "0.800000", output: "3.250000", cache_read: "0.200000", cache_write: null },
      aliases: [`${alias}-latest`],
      created: false,
    });
    expect(o.changes).toEqual({
      targets: { from: expect.any(Array), to: [{ model_id: "us.amazon.nova-pro-v1:0", region: "us-east-1", price: null }] },
      price: { from: { input: "0.800000", output: "3.200000", cache_read: "0.200000", cache_write: null }, to: o.price },
    });
    const [row] = await b.db.select().from(models).where(eq(models.alias, alias));
    expect(row.price).toEqual({ input: 800_000, output: 3_250_000, cacheRead: 200_000 });
    expect((await audit(`model:${alias}`)).map((a) => a.action)).toEqual(["model.set", "model.set", "model.set"]);
  });

  it("models set refuses a name another model answers to; a new model needs a target", async () => {
    const alias = `m-${randomId(8).toLowerCase()}`;
    const taken = await run(["models", "set", alias, "--target", "x.y-v1:0", "--alias", "claude-sonnet-4-5-20250929"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe("bedrock-gateway: the name claude-sonnet-4-5-20250929 is already used by model claude-sonnet-4-5");
    const noTarget = await run(["models", "set", alias, "--input", "1", "--output", "2"]);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toBe(`bedrock-gateway: model ${alias} is new: give at least one --target BEDROCK_ID[@REGION]`);
    expect(await b.db.select().from(models).where(eq(models.alias, alias))).toEqual([]);
  });

  it("models disable and enable, with audit rows; an unknown alias exits 1", async () => {
    const alias = `m-${randomId(8).toLowerCase()}`;
    aliases.push(alias);
    await run(["models", "set", alias, "--target", "x.y-v1:0", "--alias", `${alias}-x`]);
    expect((await run(["models", "disable", alias])).stdout).toBe(`Model ${alias} is now disabled.`);
    expect((await run(["models", "disable", alias])).stdout).toBe(`Model ${alias} was already disabled.`);
    const list = JSON.parse((await run(["models", "list", "--json"])).stdout);
    expect(list.find((m: { alias: string }) => m.alias === alias).enabled).toBe(false);
    expect((await run(["models", "enable", alias])).stdout).toBe(`Model ${alias} is now enabled.`);
    expect((await audit(`model:${alias}`)).map((a) => a.action)).toEqual(["model.set", "model.disable", "model.enable"]);
    const other = await run(["models", "enable", `${alias}-x`]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`bedrock-gateway: no model has the alias "${alias}-x" (it is another name of ${alias}: \`models enable ${alias}\`)`);
  });
});
