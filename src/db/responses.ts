/**
 * Stored responses of the Responses door. Every read and delete names the owner: a response is found only by
 * the caller that created it (another key gets the same "not found" as for an id that never existed), and only
 * until it expires.
 */
import { and, eq, gt, inArray, lte } from "drizzle-orm";
import type { Db } from "./client";
import { storedResponses } from "./schema";

export type StoredResponse = {
  id: string;
  owner: string;
  model: string;
  status: string;
  response: Record<string, unknown>;
  inputItems: Record<string, unknown>[];
  outputItems: Record<string, unknown>[];
  createdAt: Date;
  expiresAt: Date;
};

export async function insertResponse(db: Db, row: StoredResponse): Promise<void> {
  await db.insert(storedResponses).values(row).onConflictDoNothing();
}

export async function findResponse(db: Db, id: string, owner: string, now: number): Promise<StoredResponse | null> {
  const rows = await db
    .select()
    .from(storedResponses)
    .where(and(eq(storedResponses.id, id), eq(storedResponses.owner, owner), gt(storedResponses.expiresAt, new Date(now))))
    .limit(1);
  return rows[0] ?? null;
}

/** Deletes the caller's response; false when it has none by that id. */
export async function deleteResponse(db: Db, id: string, owner: string, now: number): Promise<boolean> {
  const rows = await db
    .delete(storedResponses)
    .where(and(eq(storedResponses.id, id), eq(storedResponses.owner, owner), gt(storedResponses.expiresAt, new Date(now))))
    .returning({ id: storedResponses.id });
  return rows.length > 0;
}

/** Removes up to `limit` expired responses; returns how many. */
export async function purgeExpiredResponses(db: Db, now: number, limit = 500): Promise<number> {
  const expired = db
    .select({ id: storedResponses.id })
    .from(storedResponses)
    .where(lte(storedResponses.expiresAt, new Date(now)))
    .limit(limit);
  const rows = await db.delete(storedResponses).where(inArray(storedResponses.id, expired)).returning({ id: storedResponses.id });
  return rows.length;
}
