import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { API_KEY_PREFIX, API_KEY_VISIBLE_RANDOM, generateApiKey, hashApiKey, looksLikeApiKey } from "../auth/api-key";
import { randomId, type Clock } from "../deps";
import type { Db } from "./client";
import { periodsAt, type Policy } from "../policy/limits";
import { AdminError, POLICY_FIELDS, applyPatch, changesBetween, recordChange, type Changes, type PolicyPatch, type Tx } from "./audit";
import { apiKeys, spendLedger, teams, users } from "./schema";

/** A key as the gateway and the CLI see it: never the hash, never the plaintext. */
export type ApiKeyRecord = {
  id: string;
  prefix: string;
  name: string | null;
  user: string;
  team: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  allowedModels: string[] | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  budgetDailyMicros: number | null;
  budgetMonthlyMicros: number | null;
  replacedBy: string | null;
  metadata: Record<string, unknown> | null;
};

/** A key with the policies of its user and team rows (null where there is no row). */
export type KeyPrincipal = ApiKeyRecord & { userPolicy: Policy | null; teamPolicy: Policy | null };

export type NewKeyInput = Partial<Policy> & {
  user: string;
  team?: string | null;
  name?: string | null;
  expiresAt?: Date | null;
  metadata?: Record<string, unknown> | null;
  /** Who asked, for the audit log (e.g. `cli:alice`). */
  actor?: string;
};

/** Returned once by createKey and rotateKey: `key` is the only copy of the plaintext. */
export type CreatedKey = Policy & {
  id: string;
  key: string;
  prefix: string;
  user: string;
  team: string | null;
  name: string | null;
  createdAt: Date;
  expiresAt: Date | null;
};

/** `rotated`: replaced by another key (it works until its grace period ends, then it is expired too). */
export type KeyStatus = "active" | "revoked" | "expired" | "rotated";

/** A key in `keys list`: its record and what it has spent in the current UTC day and month (spend_ledger). */
export type KeyListing = ApiKeyRecord & { spentTodayMicros: number; spentMonthMicros: number };

/** Policy fields and the expiry to change on a key: undefined leaves a field as it is, null clears it. */
export type KeyUpdate = PolicyPatch & { expiresAt?: Date | null };

export class AmbiguousKeyError extends Error {
  readonly matches: string[];
  constructor(query: string, matches: string[]) {
    super(`"${query}" matches ${matches.length} keys (${matches.join(", ")}): give more of the prefix or the key id`);
    this.name = "AmbiguousKeyError";
    this.matches = matches;
  }
}

const recordColumns = {
  id: apiKeys.id,
  prefix: apiKeys.prefix,
  name: apiKeys.name,
  user: apiKeys.userEmail,
  team: apiKeys.team,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  expiresAt: apiKeys.expiresAt,
  allowedModels: apiKeys.allowedModels,
  rpmLimit: apiKeys.rpmLimit,
  tpmLimit: apiKeys.tpmLimit,
  budgetDailyMicros: apiKeys.budgetDailyMicros,
  budgetMonthlyMicros: apiKeys.budgetMonthlyMicros,
  replacedBy: apiKeys.replacedBy,
  metadata: apiKeys.metadata,
};

const policyOf = (t: typeof users | typeof teams) => ({
  allowedModels: t.allowedModels,
  rpmLimit: t.rpmLimit,
  tpmLimit: t.tpmLimit,
  budgetDailyMicros: t.budgetDailyMicros,
  budgetMonthlyMicros: t.budgetMonthlyMicros,
});

/** The policy part of a key, user or team row. */
export function policyFrom(r: Policy): Policy {
  return {
    allowedModels: r.allowedModels,
    rpmLimit: r.rpmLimit,
    tpmLimit: r.tpmLimit,
    budgetDailyMicros: r.budgetDailyMicros,
    budgetMonthlyMicros: r.budgetMonthlyMicros,
  };
}

const PREFIX_LENGTH = API_KEY_PREFIX.length + API_KEY_VISIBLE_RANDOM;
// Used by `touchKey`: at most one last_used_at write per key per minute.
const TOUCH_INTERVAL_MS = 60_000;

export async function createKey(db: Db, input: NewKeyInput, clock: Clock): Promise<CreatedKey> {
  const createdAt = new Date(clock.now());
  return withFreshKey(async () => {
    const { key, row } = await newKeyRow(input, createdAt);
    await db.transaction(async (tx) => {
      await tx.insert(apiKeys).values(row);
      await recordCreate(tx, row, input.actor ?? "system", createdAt, {});
    });
    return createdFrom(row, key);
  });
}

async function newKeyRow(input: NewKeyInput, createdAt: Date) {
  const { key, prefix } = generateApiKey();
  const row = {
    id: `key_${randomId(20)}`,
    keyHash: await hashApiKey(key),
    prefix,
    name: input.name ?? null,
    userEmail: input.user,
    team: input.team ?? null,
    createdAt,
    updatedAt: createdAt,
    expiresAt: input.expiresAt ?? null,
    allowedModels: input.allowedModels ?? null,
    rpmLimit: input.rpmLimit ?? null,
    tpmLimit: input.tpmLimit ?? null,
    budgetDailyMicros: input.budgetDailyMicros ?? null,
    budgetMonthlyMicros: input.budgetMonthlyMicros ?? null,
    metadata: input.metadata ?? null,
  };
  return { key, row };
}

type KeyRow = Awaited<ReturnType<typeof newKeyRow>>["row"];

function createdFrom(row: KeyRow, key: string): CreatedKey {
  return {
    id: row.id,
    key,
    prefix: row.prefix,
    user: row.userEmail,
    team: row.team,
    name: row.name,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...policyFrom(row),
  };
}

async function recordCreate(tx: Tx, row: KeyRow, actor: string, at: Date, extra: Record<string, unknown>): Promise<void> {
  const details = { prefix: row.prefix, user: row.userEmail, team: row.team, name: row.name, expiresAt: row.expiresAt, ...policyFrom(row), ...extra };
  await recordChange(tx, { actor, action: "key.create", target: row.id, details, at }, { kind: "key", keyHash: row.keyHash });
}

// A 6-character visible prefix can collide (about 1 in 10^3 at 10^4 keys): retry with a fresh key.
async function withFreshKey<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt < 5 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

export async function findKeyByHash(db: Db, hash: string): Promise<ApiKeyRecord | null> {
  const rows = await db.select(recordColumns).from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
  return rows[0] ?? null;
}

/** The key with this hash and its user's and team's policies, in one query (the request path's key lookup). */
export async function findPrincipalByHash(db: Db, hash: string): Promise<KeyPrincipal | null> {
  const rows = await db
    .select({
      key: recordColumns,
      uEmail: users.email,
      uModels: users.allowedModels,
      uRpm: users.rpmLimit,
      uTpm: users.tpmLimit,
      uDaily: users.budgetDailyMicros,
      uMonthly: users.budgetMonthlyMicros,
      tName: teams.name,
      tModels: teams.allowedModels,
      tRpm: teams.rpmLimit,
      tTpm: teams.tpmLimit,
      tDaily: teams.budgetDailyMicros,
      tMonthly: teams.budgetMonthlyMicros,
    })
    .from(apiKeys)
    .leftJoin(users, eq(users.email, apiKeys.userEmail))
    .leftJoin(teams, eq(teams.name, apiKeys.team))
    .where(eq(apiKeys.keyHash, hash))
    .limit(1);
  const r = rows[0];
  if (!r) return null;
  const userPolicy: Policy | null =
    r.uEmail === null ? null : { allowedModels: r.uModels, rpmLimit: r.uRpm, tpmLimit: r.uTpm, budgetDailyMicros: r.uDaily, budgetMonthlyMicros: r.uMonthly };
  const teamPolicy: Policy | null =
    r.tName === null ? null : { allowedModels: r.tModels, rpmLimit: r.tRpm, tpmLimit: r.tTpm, budgetDailyMicros: r.tDaily, budgetMonthlyMicros: r.tMonthly };
  return { ...r.key, userPolicy, teamPolicy };
}

/** The policies of a user and a team (for callers without a key: JWTs). */
export async function findPolicies(db: Db, user: string, team: string | null): Promise<{ userPolicy: Policy | null; teamPolicy: Policy | null }> {
  const [u, t] = await Promise.all([
    db.select(policyOf(users)).from(users).where(eq(users.email, user)).limit(1),
    team === null ? Promise.resolve([]) : db.select(policyOf(teams)).from(teams).where(eq(teams.name, team)).limit(1),
  ]);
  return { userPolicy: u[0] ?? null, teamPolicy: t[0] ?? null };
}

export async function findKeyById(db: Db, id: string): Promise<ApiKeyRecord | null> {
  const rows = await db.select(recordColumns).from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Keys in creation order, each with its spend in the current UTC day and month. */
export async function listKeys(db: Db, filter: { user?: string; team?: string }, clock: Clock): Promise<KeyListing[]> {
  const p = periodsAt(clock.now());
  const day = alias(spendLedger, "day_spend");
  const month = alias(spendLedger, "month_spend");
  const subject = sql`'key:' || ${apiKeys.id}`;
  return db
    .select({
      ...recordColumns,
      spentTodayMicros: sql<number>`coalesce(${day.spentMicros}, 0)`.mapWith(Number),
      spentMonthMicros: sql<number>`coalesce(${month.spentMicros}, 0)`.mapWith(Number),
    })
    .from(apiKeys)
    .leftJoin(day, and(eq(day.subject, subject), eq(day.period, p.day)))
    .leftJoin(month, and(eq(month.subject, subject), eq(month.period, p.month)))
    .where(
      and(filter.user === undefined ? undefined : eq(apiKeys.userEmail, filter.user), filter.team === undefined ? undefined : eq(apiKeys.team, filter.team)),
    )
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

const lockedColumns = { ...recordColumns, keyHash: apiKeys.keyHash };

/** A key locked for the rest of the transaction, with its hash (for the change notice only, never returned). */
async function lockKey(tx: Tx, id: string) {
  const rows = await tx.select(lockedColumns).from(apiKeys).where(eq(apiKeys.id, id)).for("update");
  return rows[0];
}

function withoutHash<T extends { keyHash: string }>(row: T): Omit<T, "keyHash"> {
  const { keyHash: _, ...rest } = row;
  return rest;
}

/**
 * Changes a key's policy or expiry. Returns the key and what changed (nothing written when nothing changes),
 * null when no key matches; throws AmbiguousKeyError, or AdminError for a revoked key.
 */
export async function updateKey(
  db: Db,
  idOrPrefix: string,
  update: KeyUpdate,
  clock: Clock,
  actor = "system",
): Promise<{ key: ApiKeyRecord; changes: Changes } | null> {
  const target = await matchOne(db, idOrPrefix);
  if (!target) return null;
  const at = new Date(clock.now());
  return db.transaction(async (tx) => {
    const cur = await lockKey(tx, target.id);
    if (cur.revokedAt) throw new AdminError(`key ${cur.prefix} is revoked; create a new key instead`);
    const next = { ...applyPatch(cur, update), expiresAt: update.expiresAt === undefined ? cur.expiresAt : update.expiresAt };
    const changes = changesBetween(cur, next, [...POLICY_FIELDS, "expiresAt"]);
    if (Object.keys(changes).length === 0) return { key: withoutHash(cur), changes };
    const [updated] = await tx
      .update(apiKeys)
      .set({ ...policyFrom(next), expiresAt: next.expiresAt, updatedAt: at })
      .where(eq(apiKeys.id, cur.id))
      .returning(recordColumns);
    await recordChange(
      tx,
      { actor, action: "key.update", target: cur.id, details: { prefix: cur.prefix, changes }, at },
      { kind: "key", keyHash: cur.keyHash },
    );
    return { key: updated, changes };
  });
}

/**
 * Issues a new key with the same owner, team, name and policy, and lets the old one work until `graceUntil` (never
 * longer than it would have anyway). Null when no key matches; AdminError for a revoked or already rotated key.
 */
export async function rotateKey(
  db: Db,
  idOrPrefix: string,
  opts: { graceUntil: Date; expiresAt?: Date | null },
  clock: Clock,
  actor = "system",
): Promise<{ created: CreatedKey; old: ApiKeyRecord } | null> {
  const target = await matchOne(db, idOrPrefix);
  if (!target) return null;
  const at = new Date(clock.now());
  return withFreshKey(() =>
    db.transaction(async (tx) => {
      const cur = await lockKey(tx, target.id);
      if (cur.revokedAt) throw new AdminError(`key ${cur.prefix} is revoked; create a new key instead`);
      if (cur.replacedBy) throw new AdminError(`key ${cur.prefix} was already rotated (to ${cur.replacedBy}); rotate that key instead`);
      const input = { user: cur.user, team: cur.team, name: cur.name, metadata: cur.metadata, expiresAt: opts.expiresAt ?? null, ...policyFrom(cur) };
      const { key, row } = await newKeyRow(input, at);
      await tx.insert(apiKeys).values(row);
      const oldExpiresAt = cur.expiresAt && cur.expiresAt < opts.graceUntil ? cur.expiresAt : opts.graceUntil;
      const [old] = await tx
        .update(apiKeys)
        .set({ replacedBy: row.id, expiresAt: oldExpiresAt, updatedAt: at })
        .where(eq(apiKeys.id, cur.id))
        .returning(recordColumns);
      await recordCreate(tx, row, actor, at, { replaces: cur.id });
      const details = { prefix: cur.prefix, replacedBy: row.id, replacedByPrefix: row.prefix, expiresAt: oldExpiresAt };
      await recordChange(tx, { actor, action: "key.rotate", target: cur.id, details, at }, { kind: "key", keyHash: cur.keyHash });
      return { created: createdFrom(row, key), old };
    }),
  );
}

/**
 * Revokes a key named by its id, its prefix (or an unambiguous start of it), or the full key.
 * Revoking twice keeps the first revocation time. Throws AmbiguousKeyError when a partial prefix matches several keys.
 */
export async function revokeKey(db: Db, idOrPrefix: string, clock: Clock, actor = "system"): Promise<(ApiKeyRecord & { alreadyRevoked: boolean }) | null> {
  const target = await matchOne(db, idOrPrefix);
  if (!target) return null;
  if (target.revokedAt) return { ...target, alreadyRevoked: true };
  const at = new Date(clock.now());
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(apiKeys)
      .set({ revokedAt: at, updatedAt: at })
      .where(and(eq(apiKeys.id, target.id), isNull(apiKeys.revokedAt)))
      .returning(lockedColumns);
    if (updated.length === 0) {
      // Revoked concurrently by someone else: report their revocation.
      const current = await tx.select(recordColumns).from(apiKeys).where(eq(apiKeys.id, target.id));
      return { ...current[0], alreadyRevoked: true };
    }
    const details = { prefix: target.prefix, user: target.user, team: target.team };
    await recordChange(tx, { actor, action: "key.revoke", target: target.id, details, at }, { kind: "key", keyHash: updated[0].keyHash });
    return { ...withoutHash(updated[0]), alreadyRevoked: false };
  });
}

/** Records use of a key. Throttled in SQL, so calling it on every request costs one indexed no-op update. */
export async function touchKey(db: Db, id: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(at.getTime() - TOUCH_INTERVAL_MS)))));
}

export function keyStatus(key: Pick<ApiKeyRecord, "revokedAt" | "expiresAt" | "replacedBy">, now: number): KeyStatus {
  if (key.revokedAt) return "revoked";
  if (key.replacedBy) return "rotated";
  if (key.expiresAt && key.expiresAt.getTime() <= now) return "expired";
  return "active";
}

/** The one key named by `idOrPrefix`, or null; throws AmbiguousKeyError when a partial prefix names several. */
async function matchOne(db: Db, idOrPrefix: string): Promise<ApiKeyRecord | null> {
  const matches = await matchKeys(db, idOrPrefix);
  if (matches.length > 1)
    throw new AmbiguousKeyError(
      idOrPrefix,
      matches.map((m) => m.prefix),
    );
  return matches[0] ?? null;
}

/** Keys named by an id, a full key, a prefix or an unambiguous start of one (`bgw_live_ab`, or just `ab12`). */
export async function matchKeys(db: Db, idOrPrefix: string): Promise<ApiKeyRecord[]> {
  const q = idOrPrefix.trim();
  if (q === "") return [];
  if (looksLikeApiKey(q)) {
    const byHash = await findKeyByHash(db, await hashApiKey(q));
    return byHash ? [byHash] : [];
  }
  const exact = await db
    .select(recordColumns)
    .from(apiKeys)
    .where(or(eq(apiKeys.id, q), eq(apiKeys.prefix, q)));
  if (exact.length > 0) return exact;
  // A partial prefix (`bgw_live_ab`, or just `ab12`), compared with left() because `_` is a LIKE wildcard.
  const partial = /^[0-9A-Za-z]{2,6}$/.test(q) ? API_KEY_PREFIX + q : q;
  if (!partial.startsWith(API_KEY_PREFIX) || partial.length < API_KEY_PREFIX.length + 2 || partial.length > PREFIX_LENGTH) {
    return [];
  }
  return db.select(recordColumns).from(apiKeys).where(sql`left(${apiKeys.prefix}, ${partial.length}) = ${partial}`).limit(10);
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === "23505") return true;
  }
  return false;
}
