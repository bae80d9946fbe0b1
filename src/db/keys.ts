import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { API_KEY_PREFIX, API_KEY_VISIBLE_RANDOM, generateApiKey, hashApiKey, looksLikeApiKey } from "../auth/api-key";
import { randomId, type Clock } from "../deps";
import type { Db } from "./client";
import { apiKeys, auditLog } from "./schema";

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
  budgetUsd: number | null;
  metadata: Record<string, unknown> | null;
};

export type NewKeyInput = {
  user: string;
  team?: string | null;
  name?: string | null;
  expiresAt?: Date | null;
  /** Who asked, for the audit log (e.g. `cli:alice`). */
  actor?: string;
};

/** Returned once by createKey: `key` is the only copy of the plaintext. */
export type CreatedKey = {
  id: string;
  key: string;
  prefix: string;
  user: string;
  team: string | null;
  name: string | null;
  createdAt: Date;
  expiresAt: Date | null;
};

export type KeyStatus = "active" | "revoked" | "expired";

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
  budgetUsd: apiKeys.budgetUsd,
  metadata: apiKeys.metadata,
};

const PREFIX_LENGTH = API_KEY_PREFIX.length + API_KEY_VISIBLE_RANDOM;
// Used by `touchKey`: at most one last_used_at write per key per minute.
const TOUCH_INTERVAL_MS = 60_000;

export async function createKey(db: Db, input: NewKeyInput, clock: Clock): Promise<CreatedKey> {
  const createdAt = new Date(clock.now());
  // A 6-character visible prefix can collide (about 1 in 10^3 at 10^4 keys): retry with a fresh key.
  for (let attempt = 1; ; attempt++) {
    const { key, prefix } = generateApiKey();
    const row = {
      id: `key_${randomId(20)}`,
      keyHash: await hashApiKey(key),
      prefix,
      name: input.name ?? null,
      userEmail: input.user,
      team: input.team ?? null,
      createdAt,
      expiresAt: input.expiresAt ?? null,
    };
    try {
      await db.transaction(async (tx) => {
        await tx.insert(apiKeys).values(row);
        await tx.insert(auditLog).values({
          actor: input.actor ?? "system",
          action: "key.create",
          target: row.id,
          details: { prefix, user: row.userEmail, team: row.team, name: row.name, expiresAt: row.expiresAt },
          createdAt,
        });
      });
    } catch (err) {
      if (attempt < 5 && isUniqueViolation(err)) continue;
      throw err;
    }
    return { id: row.id, key, prefix, user: row.userEmail, team: row.team, name: row.name, createdAt, expiresAt: row.expiresAt };
  }
}

export async function findKeyByHash(db: Db, hash: string): Promise<ApiKeyRecord | null> {
  const rows = await db.select(recordColumns).from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
  return rows[0] ?? null;
}

export async function findKeyById(db: Db, id: string): Promise<ApiKeyRecord | null> {
  const rows = await db.select(recordColumns).from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function listKeys(db: Db, filter: { user?: string; team?: string } = {}): Promise<ApiKeyRecord[]> {
  return db
    .select(recordColumns)
    .from(apiKeys)
    .where(
      and(filter.user === undefined ? undefined : eq(apiKeys.userEmail, filter.user), filter.team === undefined ? undefined : eq(apiKeys.team, filter.team)),
    )
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/**
 * Revokes a key named by its id, its prefix (or an unambiguous start of it), or the full key.
 * Revoking twice keeps the first revocation time. Throws AmbiguousKeyError when a partial prefix matches several keys.
 */
export async function revokeKey(db: Db, idOrPrefix: string, clock: Clock, actor = "system"): Promise<(ApiKeyRecord & { alreadyRevoked: boolean }) | null> {
  const matches = await matchKeys(db, idOrPrefix.trim());
  if (matches.length === 0) return null;
  if (matches.length > 1)
    throw new AmbiguousKeyError(
      idOrPrefix,
      matches.map((m) => m.prefix),
    );
  const target = matches[0];
  if (target.revokedAt) return { ...target, alreadyRevoked: true };
  const at = new Date(clock.now());
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(apiKeys)
      .set({ revokedAt: at })
      .where(and(eq(apiKeys.id, target.id), isNull(apiKeys.revokedAt)))
      .returning(recordColumns);
    if (updated.length === 0) {
      // Revoked concurrently by someone else: report their revocation.
      const current = await tx.select(recordColumns).from(apiKeys).where(eq(apiKeys.id, target.id));
      return { ...current[0], alreadyRevoked: true };
    }
    await tx.insert(auditLog).values({
      actor,
      action: "key.revoke",
      target: target.id,
      details: { prefix: target.prefix, user: target.user, team: target.team },
      createdAt: at,
    });
    return { ...updated[0], alreadyRevoked: false };
  });
}

/** Records use of a key. Throttled in SQL, so calling it on every request costs one indexed no-op update. */
export async function touchKey(db: Db, id: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(at.getTime() - TOUCH_INTERVAL_MS)))));
}

export function keyStatus(key: Pick<ApiKeyRecord, "revokedAt" | "expiresAt">, now: number): KeyStatus {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= now) return "expired";
  return "active";
}

async function matchKeys(db: Db, q: string): Promise<ApiKeyRecord[]> {
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
