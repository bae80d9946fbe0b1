/** What e2e tests share: the running gateway's URLs, keys made for each test, and the usage rows it wrote. */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import OpenAI from "openai";
import postgres from "postgres";
import { inject } from "vitest";
import { createKey, revokeKey } from "../../src/db/keys";
import * as schema from "../../src/db/schema";
import type { Db } from "../../src/db/client";

export function e2e() {
  return inject("e2e");
}

/** Runs `fn` with a short-lived connection (PGlite's socket serves one client at a time). */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  // prepare: false leaves no named statements behind in a shared PGlite session.
  for (let attempt = 0; ; attempt++) {
    const sql = postgres(e2e().databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
    try {
      return await fn(drizzle(sql, { schema }) as unknown as Db);
    } catch (err) {
      // PGlite's socket serves one client at a time: wait for the slot rather than fail.
      if (attempt < 20 && /too many connections|ECONNRESET|CONNECTION_CLOSED/i.test(String(err))) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw err;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
}

export type TestKey = { id: string; key: string; user: string; team: string; revoke(): Promise<void> };

export async function createTestKey(label = "e2e"): Promise<TestKey> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const user = `${label}-${suffix}@test.local`;
  const team = `team-${suffix}`;
  const created = await withDb((db) => createKey(db, { user, team, name: label, actor: "test" }, { now: () => Date.now() }));
  return {
    id: created.id,
    key: created.key,
    user,
    team,
    revoke: () => withDb(async (db) => void (await revokeKey(db, created.id, { now: () => Date.now() }))),
  };
}

export function openaiClient(key: string, opts: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: e2e().baseURL, maxRetries: opts.maxRetries ?? 0, timeout: opts.timeout ?? 20_000 });
}

export type UsageEvent = typeof schema.usageEvents.$inferSelect;

/** Usage rows are written after the response: poll until `count` rows exist for the key (or time out). */
export async function usageFor(keyId: string, count = 1, timeoutMs = 8000): Promise<UsageEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await withDb((db) => db.select().from(schema.usageEvents).where(eq(schema.usageEvents.keyId, keyId)));
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function simStats(): Promise<{ streamsCancelled: number; streamsStarted: number; streamsCompleted: number; requests: number }> {
  const res = await fetch(`${e2e().simURL}/__sim/stats`);
  return (await res.json()) as never;
}

export async function simRequests(): Promise<{ path: string; modelId: string; body: any; operation: string }[]> {
  const res = await fetch(`${e2e().simURL}/__sim/requests`);
  return (await res.json()) as never;
}
