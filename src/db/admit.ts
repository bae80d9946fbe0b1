import { sql } from "drizzle-orm";
import type { AdmitResult, LimitCheck, Periods } from "../policy/limits";
import type { Db } from "./client";
import { rowsOf } from "./rows";

/**
 * Counts a request against every rate limit and reserves its maximum cost against every budget, in one
 * statement (the `bgw_admit` function from migration 0001): either all of them take it or none changes.
 */
export async function admitRequest(db: Db, periods: Periods, checks: readonly LimitCheck[], tokens: number, costMicros: number): Promise<AdmitResult> {
  const payload = JSON.stringify({ window: periods.window, day: periods.day, month: periods.month, tokens, cost: costMicros, checks });
  const rows = rowsOf<{ r: unknown }>(await db.execute(sql`select bgw_admit(${payload}::jsonb) as r`));
  const r = rows[0]?.r;
  return (typeof r === "string" ? JSON.parse(r) : r) as AdmitResult;
}
