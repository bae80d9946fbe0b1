// What every admin change shares: an audit_log row and a change notice, both inside the change's own transaction,
// so a change, its record and the caches dropped by running gateways commit (or roll back) together.
import type { Policy } from "../policy/limits";
import type { Db } from "./client";
import { notifyChange, type Change } from "./notify";
import { auditLog } from "./schema";

/** The transaction handle drizzle passes to `db.transaction(fn)`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** A change the database refuses for a reason the admin can fix (an unknown alias, a name already taken): exit code 1. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminError";
  }
}

/** Policy fields to change: undefined leaves a field as it is, null clears it. */
export type PolicyPatch = { [K in keyof Policy]?: Policy[K] | null };

export const POLICY_FIELDS = ["allowedModels", "rpmLimit", "tpmLimit", "budgetDailyMicros", "budgetMonthlyMicros"] as const;

/** `{ field: { from, to } }` for each field whose value differs (arrays compared by content). */
export type Changes = Record<string, { from: unknown; to: unknown }>;

export function changesBetween(before: Record<string, unknown>, after: Record<string, unknown>, fields: readonly string[]): Changes {
  const changes: Changes = {};
  for (const f of fields) {
    const from = before[f] ?? null;
    const to = after[f] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[f] = { from, to };
  }
  return changes;
}

/** The fields of a patch that are set, applied over a current policy. */
export function applyPatch(current: Policy, patch: PolicyPatch): Policy {
  const next = { ...current };
  for (const f of POLICY_FIELDS) {
    const v = patch[f];
    if (v !== undefined) (next as Record<string, unknown>)[f] = v;
  }
  return next;
}

export type AuditEntry = {
  actor: string;
  /** `key.create`, `key.update`, `user.set`, `model.set` … */
  action: string;
  target: string;
  /** What changed; never a key or a key hash. */
  details: Record<string, unknown>;
  at: Date;
};

/** Writes the audit row and announces the change; call inside the transaction that made it. */
export async function recordChange(tx: Tx, entry: AuditEntry, change: Change): Promise<void> {
  await tx.insert(auditLog).values({ actor: entry.actor, action: entry.action, target: entry.target, details: entry.details, createdAt: entry.at });
  await notifyChange(tx, change);
}
