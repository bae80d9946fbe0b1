// The admin side of keys: policy on create, update, rotate, revoke, and listing with spend, on both backends.
import { eq, inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { AdminError } from "../../../src/db/audit";
import { createKey, findKeyByHash, findKeyById, keyStatus, listKeys, revokeKey, rotateKey, updateKey } from "../../../src/db/keys";
import { apiKeys, auditLog, spendLedger } from "../../../src/db/schema";
import { randomEmail, randomTeam, testBackends, type TestDb } from "../../support/db";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const at = (ms: number) => ({ now: () => ms });

describe.each(testBackends)("key administration on $name", ({ open }) => {
  let t: TestDb;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    if (ids.length > 0) {
      await t.db.delete(auditLog).where(inArray(auditLog.target, ids));
      await t.db.delete(spendLedger).where(
        inArray(
          spendLedger.subject,
          ids.map((id) => `key:${id}`),
        ),
      );
      await t.db.delete(apiKeys).where(inArray(apiKeys.id, ids));
    }
    await t.close();
  });

  async function newKey(input: Partial<Parameters<typeof createKey>[1]> = {}, clock = at(T0)) {
    const k = await createKey(t.db, { user: randomEmail(), team: randomTeam(), name: "ci", actor: "cli:test", ...input }, clock);
    ids.push(k.id);
    return k;
  }
  const audit = (target: string) => t.db.select().from(auditLog).where(eq(auditLog.target, target)).orderBy(auditLog.id);

  it("creates a key with a policy and records it in the audit log", async () => {
    const k = await newKey({ allowedModels: ["claude-*"], rpmLimit: 60, budgetDailyMicros: 5_000_000 });
    expect(k).toMatchObject({ allowedModels: ["claude-*"], rpmLimit: 60, tpmLimit: null, budgetDailyMicros: 5_000_000, budgetMonthlyMicros: null });
    expect(await findKeyById(t.db, k.id)).toMatchObject({ allowedModels: ["claude-*"], rpmLimit: 60, budgetDailyMicros: 5_000_000 });
    const [row] = await audit(k.id);
    expect(row).toMatchObject({ actor: "cli:test", action: "key.create", details: { prefix: k.prefix, rpmLimit: 60, budgetDailyMicros: 5_000_000 } });
    expect(JSON.stringify(row)).not.toContain(k.key.slice(k.prefix.length));
    expect(JSON.stringify(row)).not.toContain(await hashApiKey(k.key));
  });

  it("updates policy fields: set, clear with null, leave alone with undefined; a no-op writes nothing", async () => {
    const k = await newKey({ rpmLimit: 60, tpmLimit: 1000, allowedModels: ["nova-*"] });
    const r = await updateKey(
      t.db,
      k.prefix,
      { rpmLimit: null, budgetMonthlyMicros: 12_500_000, allowedModels: ["nova-pro", "claude-*"] },
      at(T0 + 1000),
      "cli:admin",
    );
    expect(r!.key).toMatchObject({ rpmLimit: null, tpmLimit: 1000, budgetMonthlyMicros: 12_500_000, allowedModels: ["nova-pro", "claude-*"] });
    expect(r!.changes).toEqual({
      allowedModels: { from: ["nova-*"], to: ["nova-pro", "claude-*"] },
      rpmLimit: { from: 60, to: null },
      budgetMonthlyMicros: { from: null, to: 12_500_000 },
    });
    const same = await updateKey(t.db, k.id, { tpmLimit: 1000 }, at(T0 + 2000), "cli:admin");
    expect(same!.changes).toEqual({});
    expect((await audit(k.id)).map((a) => [a.action, a.actor])).toEqual([
      ["key.create", "cli:test"],
      ["key.update", "cli:admin"],
    ]);
    expect((await audit(k.id))[1].details).toMatchObject({ prefix: k.prefix, changes: { rpmLimit: { from: 60, to: null } } });
    expect(await updateKey(t.db, "key_doesnotexist0000000", { rpmLimit: 1 }, at(T0))).toBeNull();
  });

  it("updates and clears the expiry", async () => {
    const k = await newKey();
    const expires = new Date(T0 + 86_400_000);
    expect((await updateKey(t.db, k.id, { expiresAt: expires }, at(T0)))!.key.expiresAt).toEqual(expires);
    expect((await updateKey(t.db, k.id, { expiresAt: null }, at(T0)))!.key.expiresAt).toBeNull();
  });

  it("refuses to update a revoked key", async () => {
    const k = await newKey();
    await revokeKey(t.db, k.id, at(T0));
    await expect(updateKey(t.db, k.id, { rpmLimit: 5 }, at(T0))).rejects.toThrow(AdminError);
  });

  it("rotates: a new key with the same owner, team, name and policy; the old one works until the grace period ends", async () => {
    const old = await newKey({ allowedModels: ["claude-*"], tpmLimit: 5000, budgetMonthlyMicros: 1_000_000, metadata: { cost_center: "42" } });
    const graceUntil = new Date(T0 + 3_600_000);
    const r = await rotateKey(t.db, old.prefix, { graceUntil }, at(T0), "cli:admin");
    ids.push(r!.created.id);
    expect(r!.created).toMatchObject({
      user: old.user,
      team: old.team,
      name: "ci",
      allowedModels: ["claude-*"],
      tpmLimit: 5000,
      budgetMonthlyMicros: 1_000_000,
    });
    expect(r!.created.key).not.toBe(old.key);
    expect(await findKeyByHash(t.db, await hashApiKey(r!.created.key))).toMatchObject({ id: r!.created.id, metadata: { cost_center: "42" }, replacedBy: null });
    expect(r!.old).toMatchObject({ id: old.id, replacedBy: r!.created.id, expiresAt: graceUntil, revokedAt: null });
    expect(keyStatus(r!.old, T0)).toBe("rotated");
    expect(keyStatus(r!.old, T0 + 7_200_000)).toBe("rotated");
    expect((await audit(old.id)).map((a) => a.action)).toEqual(["key.create", "key.rotate"]);
    expect((await audit(old.id))[1].details).toMatchObject({ replacedBy: r!.created.id, replacedByPrefix: r!.created.prefix });
    expect((await audit(r!.created.id))[0]).toMatchObject({ action: "key.create", details: { replaces: old.id } });
    await expect(rotateKey(t.db, old.id, { graceUntil }, at(T0))).rejects.toThrow(/already rotated/);
  });

  it("rotation never lets an old key live longer than it would have", async () => {
    const soon = new Date(T0 + 60_000);
    const old = await newKey({ expiresAt: soon });
    const r = await rotateKey(t.db, old.id, { graceUntil: new Date(T0 + 86_400_000), expiresAt: new Date(T0 + 30 * 86_400_000) }, at(T0));
    ids.push(r!.created.id);
    expect(r!.old.expiresAt).toEqual(soon);
    expect(r!.created.expiresAt).toEqual(new Date(T0 + 30 * 86_400_000));
    const revoked = await newKey();
    await revokeKey(t.db, revoked.id, at(T0));
    await expect(rotateKey(t.db, revoked.id, { graceUntil: new Date(T0) }, at(T0))).rejects.toThrow(/revoked/);
  });

  it("lists keys with what they spent today and this month (UTC), from the ledger", async () => {
    const user = randomEmail();
    const k = await newKey({ user, budgetDailyMicros: 2_000_000 });
    const other = await newKey({ user });
    await t.db.insert(spendLedger).values([
      { subject: `key:${k.id}`, period: "d2026-12-02", spentMicros: 1_250_000, reservedMicros: 99 },
      { subject: `key:${k.id}`, period: "d2026-12-01", spentMicros: 7_000_000 },
      { subject: `key:${k.id}`, period: "m2026-12", spentMicros: 8_250_000 },
      { subject: `key:${k.id}`, period: "m2026-11", spentMicros: 1 },
    ]);
    const list = await listKeys(t.db, { user }, at(Date.UTC(2026, 11, 2, 23, 59, 59)));
    // Both keys were created at T0, so the order between them is by id: compare by id.
    expect(Object.fromEntries(list.map((l) => [l.id, [l.spentTodayMicros, l.spentMonthMicros]]))).toEqual({
      [k.id]: [1_250_000, 8_250_000],
      [other.id]: [0, 0],
    });
    const nextDay = await listKeys(t.db, { user }, at(Date.UTC(2026, 11, 3, 0, 0, 0)));
    expect(nextDay.find((l) => l.id === k.id)).toMatchObject({ spentTodayMicros: 0, spentMonthMicros: 8_250_000 });
    for (const l of list) expect(l).not.toHaveProperty("keyHash");
  });

  it("revokes with an audit row, once", async () => {
    const k = await newKey();
    await revokeKey(t.db, k.prefix, at(T0), "cli:admin");
    await revokeKey(t.db, k.prefix, at(T0 + 5), "cli:admin");
    expect((await audit(k.id)).map((a) => a.action)).toEqual(["key.create", "key.revoke"]);
    expect(
      await t.db
        .select()
        .from(auditLog)
        .where(like(auditLog.target, `${k.id}%`)),
    ).toHaveLength(2);
  });
});
