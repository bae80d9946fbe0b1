/**
 * Stored responses of the Responses door. Every read and delete names the owner: a response is found only by
 * the caller that created it (another key gets the same "not found" as for an id that never existed), and only
 * until it expires.
 */
import { type AnyColumn, and, eq, gt, inArray, lte, sql } from "drizzle-orm";
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

/**
 * The caller's stored output items with these ids (reasoning items a stateless client refers to by id), from
 * responses that have not expired. Items come back as stored, with the gateway's own fields.
 */
export async function findOutputItems(db: Db, ids: string[], owner: string, now: number): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const wanted = new Set(ids);
  const byId = sql.join(
    ids.map((id) => sql`${storedResponses.outputItems} @> ${JSON.stringify([{ id }])}::jsonb`),
    sql` or `,
  );
  const rows = await db
    .select({ outputItems: storedResponses.outputItems })
    .from(storedResponses)
    .where(and(eq(storedResponses.owner, owner), gt(storedResponses.expiresAt, new Date(now)), sql`(${byId})`));
  return rows.flatMap((r) => r.outputItems.filter((item) => typeof item.id === "string" && wanted.has(item.id)));
}

/**
 * The caller's stored items with these ids, output and input items alike (what `item_reference` input items name),
 * from responses that have not expired. An item kept by several responses (a later turn's input holds the earlier
 * turns) comes back once, its output copy first. Items come back as stored, with the gateway's own fields.
 */
export async function findStoredItems(db: Db, ids: string[], owner: string, now: number): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const contains = (column: AnyColumn) => ids.map((id) => sql`${column} @> ${JSON.stringify([{ id }])}::jsonb`);
  const byId = sql.join([...contains(storedResponses.outputItems), ...contains(storedResponses.inputItems)], sql` or `);
  const rows = await db
    .select({ outputItems: storedResponses.outputItems, inputItems: storedResponses.inputItems })
    .from(storedResponses)
    .where(and(eq(storedResponses.owner, owner), gt(storedResponses.expiresAt, new Date(now)), sql`(${byId})`));
  const found = new Map<string, Record<string, unknown>>();
  for (const item of [...rows.flatMap((r) => r.outputItems), ...rows.flatMap((r) => r.inputItems)]) {
    if (typeof item.id === "string" && ids.includes(item.id) && !found.has(item.id)) found.set(item.id, item);
  }
  return [...found.values()];
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
