// Users and teams: the policy levels above a key (a request must fit every level that applies).
import { asc, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Clock } from "../deps";
import { periodsAt, type Policy } from "../policy/limits";
import { POLICY_FIELDS, applyPatch, changesBetween, recordChange, type Changes, type PolicyPatch } from "./audit";
import type { Db } from "./client";
import { policyFrom } from "./keys";
import { spendLedger, teams, users } from "./schema";

export type PolicyLevel = "user" | "team";

/** A user or team row: `name` is the email for users, the team name for teams. */
export type PolicyRecord = Policy & { name: string; createdAt: Date; updatedAt: Date };
export type PolicyListing = PolicyRecord & { spentTodayMicros: number; spentMonthMicros: number };

const TABLES = { user: users, team: teams } as const;
const keyColumn = (level: PolicyLevel) => (level === "user" ? users.email : teams.name);

function columns(level: PolicyLevel) {
  const t = TABLES[level];
  return {
    name: keyColumn(level),
    allowedModels: t.allowedModels,
    rpmLimit: t.rpmLimit,
    tpmLimit: t.tpmLimit,
    budgetDailyMicros: t.budgetDailyMicros,
    budgetMonthlyMicros: t.budgetMonthlyMicros,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** The ledger subject of a user or team (`user:alice@example.com`, `team:platform`), as admission and settlement write it. */
export const policySubject = (level: PolicyLevel, name: string) => `${level}:${name}`;

/**
 * Creates the user or team row if it is missing, then applies the patch. Writes an audit row and a `policy`
 * change notice when anything changed (a new row counts as a change).
 */
export async function setPolicy(
  db: Db,
  level: PolicyLevel,
  name: string,
  patch: PolicyPatch,
  clock: Clock,
  actor = "system",
): Promise<{ record: PolicyRecord; created: boolean; changes: Changes }> {
  const at = new Date(clock.now());
  const table = TABLES[level];
  const cols = columns(level);
  return db.transaction(async (tx) => {
    // Insert-if-missing first, then lock: two concurrent `set`s of a new name never race on the primary key.
    const inserted =
      level === "user"
        ? await tx.insert(users).values({ email: name, createdAt: at, updatedAt: at }).onConflictDoNothing().returning({ name: users.email })
        : await tx.insert(teams).values({ name, createdAt: at, updatedAt: at }).onConflictDoNothing().returning({ name: teams.name });
    const created = inserted.length > 0;
    const [cur] = await tx
      .select(cols)
      .from(table)
      .where(eq(keyColumn(level), name))
      .for("update");
    const next = applyPatch(cur, patch);
    const changes = changesBetween(cur, next, POLICY_FIELDS);
    if (!created && Object.keys(changes).length === 0) return { record: cur, created, changes };
    const [record] = await tx
      .update(table)
      .set({ ...policyFrom(next), updatedAt: at })
      .where(eq(keyColumn(level), name))
      .returning(cols);
    await recordChange(tx, { actor, action: `${level}.set`, target: policySubject(level, name), details: { created, changes }, at }, { kind: "policy" });
    return { record, created, changes };
  });
}

/** Every user or team row, by name, with its spend in the current UTC day and month. */
export async function listPolicies(db: Db, level: PolicyLevel, clock: Clock): Promise<PolicyListing[]> {
  const p = periodsAt(clock.now());
  const day = alias(spendLedger, "day_spend");
  const month = alias(spendLedger, "month_spend");
  const subject = sql`${`${level}:`} || ${keyColumn(level)}`;
  return db
    .select({
      ...columns(level),
      spentTodayMicros: sql<number>`coalesce(${day.spentMicros}, 0)`.mapWith(Number),
      spentMonthMicros: sql<number>`coalesce(${month.spentMicros}, 0)`.mapWith(Number),
    })
    .from(TABLES[level])
    .leftJoin(day, sql`${day.subject} = ${subject} and ${day.period} = ${p.day}`)
    .leftJoin(month, sql`${month.subject} = ${subject} and ${month.period} = ${p.month}`)
    .orderBy(asc(keyColumn(level)));
}
