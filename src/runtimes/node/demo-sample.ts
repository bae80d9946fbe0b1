/**
 * Sample usage for `npm run demo` only, so the admin console's charts and budgets show something on first start:
 * a week of requests by a few users of three teams, written once. Everything it writes is marked as sample data:
 * users under sample.example, teams named sample-…, keys named "sample data", request ids starting sample_.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { createKey } from "../../db/keys";
import { setPolicy } from "../../db/policies";
import { rowsOf } from "../../db/rows";
import { usageEvents } from "../../db/schema";
import { randomId } from "../../deps";
import { periodsAt } from "../../policy/limits";
import { type Price, costMicros } from "../../usage/cost";

const TEAMS = [
  { name: "sample-platform", daily: 40_000_000, monthly: 400_000_000 },
  { name: "sample-research", daily: 2_000_000, monthly: 10_000_000 },
  { name: "sample-mobile", daily: 300_000, monthly: 2_000_000 },
];
const USERS = [
  { email: "ana@sample.example", team: "sample-platform", weight: 5 },
  { email: "bruno@sample.example", team: "sample-platform", weight: 2 },
  { email: "chen@sample.example", team: "sample-research", weight: 4 },
  { email: "dara@sample.example", team: "sample-research", weight: 1 },
  { email: "eli@sample.example", team: "sample-mobile", weight: 2 },
];
// USD per million tokens as micro-dollars, rounded from the public Bedrock price list for us-east-1.
const MODELS: { alias: string; price: Price }[] = [
  { alias: "claude-sonnet-4-5", price: { input: 3_000_000, output: 15_000_000 } },
  { alias: "claude-haiku-4-5", price: { input: 1_000_000, output: 5_000_000 } },
  { alias: "nova-pro", price: { input: 800_000, output: 3_200_000 } },
  { alias: "nova-lite", price: { input: 60_000, output: 240_000 } },
];
const DAY = 86_400_000;

/** Writes the sample once; later starts find it and leave it alone. Returns whether it wrote anything. */
export async function seedSampleUsage(db: Db, now: number): Promise<boolean> {
  const found = rowsOf(await db.execute(sql`select 1 from usage_events where request_id like 'sample\_%' limit 1`));
  if (found.length > 0) return false;
  const clock = { now: () => now };
  for (const t of TEAMS) await setPolicy(db, "team", t.name, { budgetDailyMicros: t.daily, budgetMonthlyMicros: t.monthly }, clock, "demo");
  const keys = await Promise.all(USERS.map((u) => createKey(db, { user: u.email, team: u.team, name: "sample data", actor: "demo" }, clock)));
  // A fixed sequence, so every demo shows the same sample.
  let seed = 42;
  const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648), seed / 2_147_483_648);
  const rows: (typeof usageEvents.$inferInsert)[] = [];
  const today = Math.floor(now / DAY) * DAY;
  for (let d = 6; d >= 0; d--) {
    USERS.forEach((u, i) => {
      const count = Math.round(u.weight * (2 + next() * 4));
      for (let n = 0; n < count; n++) {
        const at = Math.min(now - 1000, today - d * DAY + Math.floor(next() * DAY));
        const model = MODELS[Math.floor(next() * (i % 2 === 0 ? 2 : MODELS.length))];
        const usage = {
          inputTokens: 2000 + Math.floor(next() * 30_000),
          outputTokens: 200 + Math.floor(next() * 3000),
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        };
        rows.push({
          requestId: `sample_${randomId(20)}`,
          keyId: keys[i].id,
          userEmail: u.email,
          team: u.team,
          endpoint: "chat.completions",
          model: model.alias,
          stream: next() < 0.7,
          status: "ok",
          httpStatus: 200,
          stopReason: "end_turn",
          ...usage,
          costMicros: costMicros(usage, { price: model.price }),
          price: { ...model.price, sample: true },
          latencyMs: 400 + Math.floor(next() * 4000),
          ttftMs: 150 + Math.floor(next() * 600),
          createdAt: new Date(at),
        });
      }
    });
  }
  await db.insert(usageEvents).values(rows);
  await addToLedger(db, rows);
  return true;
}

/** The spend the budgets count, as settlement would have left it for these rows. */
async function addToLedger(db: Db, rows: (typeof usageEvents.$inferInsert)[]): Promise<void> {
  const spend = new Map<string, number>();
  for (const r of rows) {
    const p = periodsAt((r.createdAt as Date).getTime());
    for (const subject of [`key:${r.keyId}`, `user:${r.userEmail}`, `team:${r.team}`]) {
      for (const period of [p.day, p.month]) spend.set(`${subject}|${period}`, (spend.get(`${subject}|${period}`) ?? 0) + (r.costMicros ?? 0));
    }
  }
  for (const [k, micros] of spend) {
    const [subject, period] = k.split("|");
    await db.execute(sql`
      insert into spend_ledger (subject, period, spent_micros) values (${subject}, ${period}, ${micros})
      on conflict (subject, period) do update set spent_micros = spend_ledger.spent_micros + excluded.spent_micros`);
  }
}
