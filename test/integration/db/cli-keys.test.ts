// `bedrock-gateway keys …` in-process on Postgres and PGlite: the JSON shapes, the key alone on the last line,
// update/rotate/revoke/list, audit rows, and that no listing ever prints a secret or a hash.
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { findKeyByHash, findKeyById } from "../../../src/db/keys";
import { apiKeys, auditLog, spendLedger } from "../../../src/db/schema";
import { randomEmail, randomTeam } from "../../support/db";
import { cliBackends, runInProcess, type CliBackend } from "./cli-harness";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const at = (ms: number) => ({ now: () => ms });
const CREATED_MEMBERS = [
  "id",
  "key",
  "prefix",
  "user",
  "team",
  "name",
  "models",
  "rpm_limit",
  "tpm_limit",
  "budget_daily_usd",
  "budget_monthly_usd",
  "created_at",
  "expires_at",
];

describe.each(cliBackends)("keys commands on $name", ({ open }) => {
  let b: CliBackend;
  const ids: string[] = [];
  const run = (args: string[], now = T0) => runInProcess(args, b.env, at(now));
  const create = async (args: string[], now = T0) => {
    const r = await run(["keys", "create", ...args, "--json"], now);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    ids.push(o.id);
    return o;
  };
  const audit = (target: string) => b.db.select().from(auditLog).where(eq(auditLog.target, target)).orderBy(auditLog.id);

  beforeAll(async () => {
    b = await open();
  });
  afterAll(async () => {
    if (ids.length > 0) {
      await b.db.delete(auditLog).where(inArray(auditLog.target, ids));
      await b.db.delete(spendLedger).where(
        inArray(
          spendLedger.subject,
          ids.map((id) => `key:${id}`),
        ),
      );
      await b.db.delete(apiKeys).where(inArray(apiKeys.id, ids));
    }
    await b.close();
  });

  it("keys create --json prints one object with the key, its policy, budgets as six-decimal USD", async () => {
    const user = randomEmail();
    const team = randomTeam();
    const r = await run([
      "keys",
      "create",
      "--user",
      user,
      "--team",
      team,
      "--name",
      "ci",
      "--models",
      "claude-*,nova-pro",
      "--rpm",
      "60",
      "--tpm",
      "100000",
      "--budget-daily",
      "5",
      "--budget-monthly",
      "12.50",
      "--expires",
      "30d",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const o = JSON.parse(r.stdout);
    ids.push(o.id);
    expect(Object.keys(o)).toEqual(CREATED_MEMBERS);
    expect(o).toMatchObject({
      user,
      team,
      name: "ci",
      models: ["claude-*", "nova-pro"],
      rpm_limit: 60,
      tpm_limit: 100000,
      budget_daily_usd: "5.000000",
      budget_monthly_usd: "12.500000",
      created_at: new Date(T0).toISOString(),
      expires_at: new Date(T0 + 30 * 86_400_000).toISOString(),
    });
    expect(o.key.startsWith(o.prefix)).toBe(true);
    expect(await findKeyByHash(b.db, await hashApiKey(o.key))).toMatchObject({
      id: o.id,
      allowedModels: ["claude-*", "nova-pro"],
      rpmLimit: 60,
      tpmLimit: 100000,
      budgetDailyMicros: 5_000_000,
      budgetMonthlyMicros: 12_500_000,
    });
    expect(await audit(o.id)).toMatchObject([{ actor: "cli:test", action: "key.create", details: { prefix: o.prefix, user, team } }]);
  });

  it("keys create without --json ends with the key alone on the last line", async () => {
    const r = await run(["keys", "create", "--user", randomEmail(), "--budget-daily", "0.000001"]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.lines.at(-1)!;
    expect(key).toMatch(/^bgw_live_[0-9A-Za-z]{40}$/);
    const found = await findKeyByHash(b.db, await hashApiKey(key));
    ids.push(found!.id);
    expect(found!.budgetDailyMicros).toBe(1);
    expect(r.stdout).toContain("USD 0.000001");
  });

  it("keys update sets limits, clears them with none or an empty value, and keeps the rest", async () => {
    const o = await create(["--user", randomEmail(), "--models", "nova-*", "--rpm", "60", "--tpm", "5000", "--budget-daily", "2"]);
    const r = await run(["keys", "update", o.prefix, "--rpm", "none", "--models", "", "--budget-monthly", "7.25", "--json"], T0 + 1000);
    expect(r.code, r.stderr).toBe(0);
    const u = JSON.parse(r.stdout);
    expect(u).toMatchObject({
      id: o.id,
      models: null,
      rpm_limit: null,
      tpm_limit: 5000,
      budget_daily_usd: "2.000000",
      budget_monthly_usd: "7.250000",
      status: "active",
    });
    expect(u.changes).toEqual({
      models: { from: ["nova-*"], to: null },
      rpm_limit: { from: 60, to: null },
      budget_monthly_usd: { from: null, to: "7.250000" },
    });
    expect(u).not.toHaveProperty("key");
    const rows = await audit(o.id);
    expect(rows.map((a) => [a.action, a.actor])).toEqual([
      ["key.create", "cli:test"],
      ["key.update", "cli:test"],
    ]);
    expect(rows[1].details).toMatchObject({ changes: { rpmLimit: { from: 60, to: null }, budgetMonthlyMicros: { from: null, to: 7_250_000 } } });

    const plain = await run(["keys", "update", o.id, "--tpm", "6000", "--expires", "12h"]);
    expect(plain.stdout).toContain("tpm: 5000 -> 6000");
    expect((await findKeyById(b.db, o.id))!.expiresAt).toEqual(new Date(T0 + 12 * 3_600_000));
    const same = await run(["keys", "update", o.id, "--tpm", "6000"]);
    expect(same.stdout).toContain("Nothing to change");
    expect(await audit(o.id)).toHaveLength(3);
    const cleared = await run(["keys", "update", o.id, "--expires", "none"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((await findKeyById(b.db, o.id))!.expiresAt).toBeNull();
  });

  it("keys rotate: a new key with the same owner and policy (same JSON as create); the old one expires after the grace", async () => {
    const o = await create(["--user", randomEmail(), "--team", randomTeam(), "--name", "svc", "--rpm", "30", "--budget-monthly", "100"]);
    const r = await run(["keys", "rotate", o.prefix, "--json"], T0 + 5000);
    expect(r.code, r.stderr).toBe(0);
    const n = JSON.parse(r.stdout);
    ids.push(n.id);
    expect(Object.keys(n)).toEqual(CREATED_MEMBERS);
    expect(n).toMatchObject({ user: o.user, team: o.team, name: "svc", rpm_limit: 30, budget_monthly_usd: "100.000000", expires_at: null });
    expect(n.key).not.toBe(o.key);
    const old = await findKeyById(b.db, o.id);
    expect(old).toMatchObject({ replacedBy: n.id, revokedAt: null });
    expect(old!.expiresAt).toEqual(new Date(T0 + 5000 + 24 * 3_600_000));
    expect((await audit(o.id)).map((a) => a.action)).toEqual(["key.create", "key.rotate"]);

    const o2 = await create(["--user", randomEmail()]);
    const now = await run(["keys", "rotate", o2.id, "--grace", "0"], T0 + 7000);
    expect(now.code, now.stderr).toBe(0);
    const key2 = now.lines.at(-1)!;
    expect(key2).toMatch(/^bgw_live_/);
    ids.push((await findKeyByHash(b.db, await hashApiKey(key2)))!.id);
    expect(now.stdout).toContain("it keeps working now");
    expect((await findKeyById(b.db, o2.id))!.expiresAt).toEqual(new Date(T0 + 7000));

    const again = await run(["keys", "rotate", o.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^bedrock-gateway: key bgw_live_\w+ was already rotated \(to key_\w+\); rotate that key instead$/);
  });

  it("keys revoke, once; unknown keys exit 1 with one line", async () => {
    const o = await create(["--user", randomEmail()]);
    const r = await run(["keys", "revoke", o.prefix]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Revoked key ${o.id} (${o.prefix}, ${o.user}).`);
    const again = await run(["keys", "revoke", o.id, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: o.id, status: "revoked", already_revoked: true });
    expect((await audit(o.id)).map((a) => a.action)).toEqual(["key.create", "key.revoke"]);
    for (const sub of ["revoke", "rotate", "update"]) {
      const missing = await run(["keys", sub, "key_doesnotexist00000000", ...(sub === "update" ? ["--rpm", "1"] : [])]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('bedrock-gateway: no key matches "key_doesnotexist00000000" (see `bedrock-gateway keys list`)');
    }
    const revokedUpdate = await run(["keys", "update", o.id, "--rpm", "5"]);
    expect(revokedUpdate.code).toBe(1);
    expect(revokedUpdate.stderr).toBe(`bedrock-gateway: key ${o.prefix} is revoked; create a new key instead`);
  });

  it("keys list: policy, today's and this month's spend, status; never a secret or a hash", async () => {
    const user = randomEmail();
    const team = randomTeam();
    const a = await create(["--user", user, "--team", team, "--name", "laptop", "--models", "claude-*", "--rpm", "10", "--budget-daily", "5"]);
    const e = await create(["--user", user, "--team", team, "--expires", "1h"]);
    const v = await create(["--user", user, "--team", team]);
    const rot = await create(["--user", user, "--team", team]);
    await run(["keys", "revoke", v.id]);
    const rotated = await run(["keys", "rotate", rot.id, "--json"]);
    ids.push(JSON.parse(rotated.stdout).id);
    await b.db.insert(spendLedger).values([
      { subject: `key:${a.id}`, period: "d2026-12-02", spentMicros: 1_250_000 },
      { subject: `key:${a.id}`, period: "m2026-12", spentMicros: 3_500_001 },
    ]);
    const later = T0 + 2 * 3_600_000;
    const json = await run(["keys", "list", "--user", user, "--json"], later);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout);
    // Created at the same instant (the clock is fixed): listed in creation order, then by id.
    expect(Object.fromEntries(list.map((k: { id: string; status: string }) => [k.id, k.status]))).toEqual({
      [a.id]: "active",
      [e.id]: "expired",
      [v.id]: "revoked",
      [rot.id]: "rotated",
      [JSON.parse(rotated.stdout).id]: "active",
    });
    expect(list.find((k: { id: string }) => k.id === a.id)).toMatchObject({
      prefix: a.prefix,
      user,
      team,
      name: "laptop",
      models: ["claude-*"],
      rpm_limit: 10,
      budget_daily_usd: "5.000000",
      spent_today_usd: "1.250000",
      spent_month_usd: "3.500001",
      last_used_at: null,
    });
    const table = await run(["keys", "list", "--team", team], later);
    expect(table.code, table.stderr).toBe(0);
    expect(table.lines[0]).toMatch(/^PREFIX\s+USER\s+TEAM\s+NAME\s+MODELS\s+RPM\s+TPM\s+TODAY USD\s+MONTH USD\s+LAST USED\s+STATUS$/);
    const aLine = table.lines.find((l) => l.startsWith(a.prefix))!;
    expect(aLine).toMatch(/laptop\s+claude-\*\s+10\s+-\s+1\.250000\/5\.000000\s+3\.500001\s+-\s+active$/);
    expect(table.lines.find((l) => l.startsWith(rot.prefix))).toMatch(/rotated until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    for (const k of [a, e, v, rot]) {
      const hash = await hashApiKey(k.key);
      for (const out of [json.stdout, table.stdout]) {
        expect(out).not.toContain(k.key.slice(k.prefix.length));
        expect(out).not.toContain(hash);
      }
    }
  });
});
