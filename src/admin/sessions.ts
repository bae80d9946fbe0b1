// Admin console sessions in Postgres, so they work on every runtime (a Worker keeps no memory between requests).
// The browser holds a random session id; the table holds only its SHA-256, so a copy of the table signs no one in.
import { and, eq, gt, lt } from "drizzle-orm";
import { hashApiKey } from "../auth/api-key";
import type { Db } from "../db/client";
import { adminSessions } from "../db/schema";

/** How long a session lasts from sign-in; it is not extended by use. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export type AdminSession = { idHash: string; csrfToken: string; clientIp: string | null; createdAt: Date; expiresAt: Date };

/** 32 random bytes as base64url (256 bits): session ids and CSRF tokens. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const hashSessionId = (id: string) => hashApiKey(id);

/** Starts a session; returns the id for the cookie (never stored) and the stored row. Expired sessions are dropped. */
export async function createSession(db: Db, clientIp: string | null, now: number): Promise<{ id: string; session: AdminSession }> {
  const id = randomToken();
  const session: AdminSession = {
    idHash: await hashSessionId(id),
    csrfToken: randomToken(),
    clientIp,
    createdAt: new Date(now),
    expiresAt: new Date(now + SESSION_TTL_MS),
  };
  await db.delete(adminSessions).where(lt(adminSessions.expiresAt, new Date(now)));
  await db.insert(adminSessions).values(session);
  return { id, session };
}

/** The live session with this id, or null (unknown, expired or signed out). */
export async function findSession(db: Db, id: string, now: number): Promise<AdminSession | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const rows = await db
    .select()
    .from(adminSessions)
    .where(and(eq(adminSessions.idHash, await hashSessionId(id)), gt(adminSessions.expiresAt, new Date(now))))
    .limit(1);
  return rows[0] ?? null;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(adminSessions).where(eq(adminSessions.idHash, idHash));
}
