import { and, inArray } from "drizzle-orm";
import type { Db } from "./client";
import { spendLedger } from "./schema";

export type LedgerEntry = { spentMicros: number; reservedMicros: number };

/** Spend and open reservations of some subjects for some periods, keyed `subject|period`; missing rows are zero. */
export async function ledgerFor(db: Db, subjects: readonly string[], periods: readonly string[]): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  if (subjects.length === 0 || periods.length === 0) return out;
  const rows = await db
    .select()
    .from(spendLedger)
    .where(and(inArray(spendLedger.subject, [...subjects]), inArray(spendLedger.period, [...periods])));
  for (const r of rows) out.set(`${r.subject}|${r.period}`, { spentMicros: r.spentMicros, reservedMicros: r.reservedMicros });
  return out;
}
