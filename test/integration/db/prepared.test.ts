/**
 * DB_PREPARE: the request path's statements (admission, settlement) are prepared once per pool connection, so
 * each later call is one round trip; with DB_PREPARE=false (a transaction-mode pooler) nothing is prepared and the
 * same statements run unnamed.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { admitRequest } from "../../../src/db/admit";
import { rowsOf } from "../../../src/db/rows";
import { insertUsageBatch } from "../../../src/db/usage";
import { createLogger } from "../../../src/logger";
import { periodsAt } from "../../../src/policy/limits";
import { openDatabase, type Database } from "../../../src/runtimes/node/database";
import { openTestPostgres, randomEmail, testDatabaseUrl } from "../../support/db";

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function open(env: Record<string, string>): Promise<Database> {
  // Migrated first (openDatabase does not migrate).
  await (await openTestPostgres({ max: 1 })).close();
  // One connection, so the statements below run in the session that prepared them.
  database = await openDatabase(parseConfig({ DATABASE_URL: testDatabaseUrl(), DB_POOL_MAX: "1", ...env }), createLogger("error"));
  return database;
}

async function preparedStatements(d: Database): Promise<string[]> {
  return rowsOf<{ statement: string }>(await d.db.execute(sql`select statement from pg_prepared_statements order by statement`)).map((r) => r.statement);
}

async function admitAndSettle(d: Database) {
  const user = randomEmail("prepared");
  const subject = `user:${user}`;
  const periods = periodsAt(Date.now());
  for (let i = 0; i < 3; i++) {
    const r = await admitRequest(d.db, periods, [{ subject, rpm: 100, daily: 1_000_000 }], 10, 500);
    expect(r.ok).toBe(true);
  }
  const lease = { window: periods.window, day: periods.day, month: periods.month, tokens: 10, rate: [subject], cost: 500, budget: [subject] };
  const rows = Array.from({ length: 3 }, (_, i) => ({
    requestId: `req_prepared_${user}_${i}`,
    userEmail: user,
    keyId: null,
    endpoint: "/v1/chat/completions",
    model: "m",
    stream: false,
    latencyMs: 5,
    status: "ok" as const,
    httpStatus: 200,
    inputTokens: 4,
    outputTokens: 2,
    costMicros: 120,
    lease,
  }));
  expect(await insertUsageBatch(d.db, rows)).toBe(3);
  const ledger = rowsOf<{ spent: string; reserved: string }>(
    await d.db.execute(
      sql`select spent_micros::text as spent, reserved_micros::text as reserved from spend_ledger where subject = ${subject} and period = ${periods.day}`,
    ),
  );
  expect(ledger).toEqual([{ spent: "360", reserved: "0" }]);
}

describe("DB_PREPARE", () => {
  it("defaults to true", () => {
    expect(parseConfig({}).DB_PREPARE).toBe(true);
    expect(parseConfig({ DB_PREPARE: "false" }).DB_PREPARE).toBe(false);
  });

  it("prepares admission and settlement on the pool's connection, once each", async () => {
    const d = await open({});
    await admitAndSettle(d);
    await admitAndSettle(d);
    const statements = await preparedStatements(d);
    expect(statements.filter((s) => s.includes("bgw_admit"))).toEqual(["select bgw_admit($1::jsonb) as r"]);
    expect(statements.filter((s) => s.includes("bgw_settle"))).toEqual(["select bgw_settle($1::jsonb, $2::jsonb) as n"]);
  });

  it("prepares nothing with DB_PREPARE=false, and the same statements still run", async () => {
    const d = await open({ DB_PREPARE: "false" });
    await admitAndSettle(d);
    expect(await preparedStatements(d)).toEqual([]);
  });
});
