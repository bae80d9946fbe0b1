import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * Postgres LISTEN/NOTIFY channel on which admin changes are announced, so every gateway instance drops its cached
 * keys, policies or models as soon as the change commits (a NOTIFY sent inside a transaction is delivered at commit).
 */
export const CHANGES_CHANNEL = "bgw_changes";

/** What changed: a key (its hash, so a cache can drop just that entry), any policy, or the model catalogue. */
export type Change = { kind: "key"; keyHash: string } | { kind: "policy" } | { kind: "models" };

export function encodeChange(c: Change): string {
  return c.kind === "key" ? `key:${c.keyHash}` : c.kind;
}

export function decodeChange(payload: string): Change | null {
  if (payload.startsWith("key:")) return { kind: "key", keyHash: payload.slice(4) };
  if (payload === "policy" || payload === "models") return { kind: payload };
  return null;
}

/** Announces a change; call it inside the transaction that makes the change. */
export async function notifyChange(db: Pick<Db, "execute">, change: Change): Promise<void> {
  await db.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${encodeChange(change)})`);
}
