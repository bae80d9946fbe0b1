/**
 * DB_POOL_MAX bounds the connections one instance opens to DATABASE_URL: more concurrent queries than that wait
 * for a connection instead of opening more.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { createLogger } from "../../../src/logger";
import { openDatabase, type Database } from "../../../src/runtimes/node/database";
import { ensureTestDatabase, testDatabaseUrl } from "../../support/db";

const APP = `pool-size-${process.pid}`;
let database: Database;

beforeAll(async () => {
  await ensureTestDatabase();
  const url = new URL(testDatabaseUrl());
  url.searchParams.set("application_name", APP);
  database = await openDatabase(parseConfig({ DATABASE_URL: url.toString(), DB_POOL_MAX: "3" }), createLogger("error"));
});

afterAll(async () => {
  await database?.close();
});

describe("DB_POOL_MAX", () => {
  it("defaults to 10", () => {
    expect(parseConfig({}).DB_POOL_MAX).toBe(10);
    expect(() => parseConfig({ DB_POOL_MAX: "0" })).toThrow(/DB_POOL_MAX/);
  });

  it("opens at most that many connections however many queries run at once", async () => {
    const peaks: number[] = [];
    const sleeping = Promise.all(Array.from({ length: 8 }, () => database.db.execute(sql`select pg_sleep(0.4)`)));
    // Watch from a connection of the same pool: it is counted too, and waits its turn like the others.
    const watcher = (async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 150));
        const rows = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where application_name = ${APP}`);
        peaks.push((rows as unknown as { n: number }[])[0].n);
      }
    })();
    await Promise.all([sleeping, watcher]);
    expect(Math.max(...peaks)).toBe(3);
  });
});
