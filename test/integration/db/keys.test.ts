import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { AmbiguousKeyError, createKey, findKeyByHash, findKeyById, keyStatus, listKeys, revokeKey, touchKey } from "../../../src/db/keys";
import { rowsOf } from "../../../src/db/rows";
import { apiKeys, auditLog } from "../../../src/db/schema";
import { randomId } from "../../../src/deps";
import { randomEmail, randomTeam, testBackends, type TestDb } from "../../support/db";

const clockAt = (ms: number) => ({ now: () => ms });
const clock = { now: () => Date.now() };

describe.each(testBackends)("api keys on $name", ({ open }) => {
  let t: TestDb;
  const created: string[] = [];

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    if (created.length > 0) {
      await t.db.delete(auditLog).where(inArray(auditLog.target, created));
      await t.db.delete(apiKeys).where(inArray(apiKeys.id, created));
    }
    await t.close();
  });

  async function newKey(input: Partial<Parameters<typeof createKey>[1]> = {}, at = clock) {
    const k = await createKey(t.db, { user: randomEmail(), team: randomTeam(), name: "test", actor: "test", ...input }, at);
    created.push(k.id);
    return k;
  }

  it("creates a key, returns the plaintext once and finds it by hash", async () => {
    const user = randomEmail();
    const k = await newKey({ user, team: "ml", name: "laptop" }, clockAt(Date.UTC(2025, 0, 2, 3, 4, 5)));
    expect(k.key).toMatch(/^bgw_live_[0-9A-Za-z]{40}$/);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k).toMatchObject({ user, team: "ml", name: "laptop", expiresAt: null });
    expect(k.createdAt.toISOString()).toBe("2025-01-02T03:04:05.000Z");

    const found = await findKeyByHash(t.db, await hashApiKey(k.key));
    expect(found).toMatchObject({ id: k.id, prefix: k.prefix, user, team: "ml", name: "laptop", revokedAt: null, expiresAt: null });
    expect(found!.createdAt.toISOString()).toBe("2025-01-02T03:04:05.000Z");
    expect(found).not.toHaveProperty("keyHash");
    expect(await findKeyById(t.db, k.id)).toEqual(found);
  });

  it("never stores the plaintext: only its SHA-256 and the prefix", async () => {
    const k = await newKey();
    const rows = rowsOf<Record<string, unknown>>(await t.db.execute(sql`select * from api_keys where id = ${k.id}`));
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(await hashApiKey(k.key));
    const secret = k.key.slice(k.prefix.length);
    expect(JSON.stringify(rows[0])).not.toContain(secret);
    const audit = rowsOf(await t.db.execute(sql`select * from audit_log where target = ${k.id}`));
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it("does not find unknown hashes", async () => {
    expect(await findKeyByHash(t.db, await hashApiKey(`bgw_live_${randomId(40)}`))).toBeNull();
  });

  it("writes audit rows for create and revoke", async () => {
    const k = await newKey();
    await revokeKey(t.db, k.id, clock, "admin@test");
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.target, k.id)).orderBy(auditLog.id);
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ["key.create", "test"],
      ["key.revoke", "admin@test"],
    ]);
    expect(audit[0].details).toMatchObject({ prefix: k.prefix, user: k.user });
  });

  it("revokes by id, by prefix and by full key; twice keeps the first time", async () => {
    for (const by of ["id", "prefix", "key"] as const) {
      const k = await newKey();
      const at = Date.UTC(2025, 5, 1);
      const r = await revokeKey(t.db, by === "id" ? k.id : by === "prefix" ? k.prefix : k.key, clockAt(at));
      expect(r).toMatchObject({ id: k.id, alreadyRevoked: false });
      expect(r!.revokedAt!.getTime()).toBe(at);
      const again = await revokeKey(t.db, k.id, clockAt(at + 1000));
      expect(again).toMatchObject({ id: k.id, alreadyRevoked: true });
      expect(again!.revokedAt!.getTime()).toBe(at);
      expect(keyStatus((await findKeyByHash(t.db, await hashApiKey(k.key)))!, Date.now())).toBe("revoked");
    }
  });

  it("returns null for an unknown key and refuses an ambiguous partial prefix", async () => {
    expect(await revokeKey(t.db, `key_${randomId(20)}`, clock)).toBeNull();
    expect(await revokeKey(t.db, `bgw_live_${randomId(40)}`, clock)).toBeNull();

    // Two keys whose prefixes share their first 4 random characters, inserted directly.
    const stem = `bgw_live_${randomId(4)}`;
    const ids = [`key_${randomId(20)}`, `key_${randomId(20)}`];
    await t.db.insert(apiKeys).values([
      { id: ids[0], keyHash: randomId(64), prefix: `${stem}a1`, userEmail: randomEmail() },
      { id: ids[1], keyHash: randomId(64), prefix: `${stem}b2`, userEmail: randomEmail() },
    ]);
    created.push(...ids);
    await expect(revokeKey(t.db, stem, clock)).rejects.toBeInstanceOf(AmbiguousKeyError);
    expect(await revokeKey(t.db, `${stem}b`, clock)).toMatchObject({ id: ids[1], alreadyRevoked: false });
    expect(await revokeKey(t.db, `${stem.slice(9)}a`, clock)).toMatchObject({ id: ids[0], alreadyRevoked: false });
    // The six random characters alone name the key too.
    const k = await newKey();
    expect(await revokeKey(t.db, k.prefix.slice(9), clock)).toMatchObject({ id: k.id, alreadyRevoked: false });
  });

  it("lists keys with their status, filtered by user or team", async () => {
    const user = randomEmail();
    const team = randomTeam();
    const now = Date.now();
    const active = await newKey({ user, team });
    const expired = await newKey({ user, team, expiresAt: new Date(now + 60_000) });
    const revoked = await newKey({ user, team });
    await revokeKey(t.db, revoked.id, clock);

    const mine = await listKeys(t.db, { user }, clock);
    expect(mine.map((k) => k.id).sort()).toEqual([active.id, expired.id, revoked.id].sort());
    const status = Object.fromEntries(mine.map((k) => [k.id, keyStatus(k, now + 120_000)]));
    expect(status).toEqual({ [active.id]: "active", [expired.id]: "expired", [revoked.id]: "revoked" });
    expect((await listKeys(t.db, { team }, clock)).length).toBe(3);
    for (const k of mine) expect(k).not.toHaveProperty("keyHash");
  });

  it("touchKey records last use at most once a minute", async () => {
    const k = await newKey();
    const t0 = Date.UTC(2025, 2, 3, 10, 0, 0);
    const lastUsed = async () => (await findKeyById(t.db, k.id))!.lastUsedAt?.getTime();
    await touchKey(t.db, k.id, new Date(t0));
    expect(await lastUsed()).toBe(t0);
    await touchKey(t.db, k.id, new Date(t0 + 30_000));
    expect(await lastUsed()).toBe(t0);
    await touchKey(t.db, k.id, new Date(t0 + 61_000));
    expect(await lastUsed()).toBe(t0 + 61_000);
  });
});
