// Every admin change announces itself on bgw_changes at commit, so running gateways drop their caches: LISTEN with
// a postgres.js client of the test's own while the CLI runs in-process against the same Postgres.
import { inArray } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { CHANGES_CHANNEL } from "../../../src/db/notify";
import { apiKeys, auditLog, models, teams, users } from "../../../src/db/schema";
import { randomId } from "../../../src/deps";
import { randomEmail, randomTeam, testDatabaseUrl } from "../../support/db";
import { cliBackends, runInProcess, type CliBackend } from "./cli-harness";

let b: CliBackend;
let listener: postgres.Sql;
const heard: string[] = [];
const ids: string[] = [];
const email = randomEmail();
const team = randomTeam();
const alias = `m-${randomId(8).toLowerCase()}`;

beforeAll(async () => {
  b = await cliBackends[0].open();
  listener = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  await listener.listen(CHANGES_CHANNEL, (payload) => heard.push(payload));
});
afterAll(async () => {
  await listener.end({ timeout: 5 });
  await b.db.delete(auditLog).where(inArray(auditLog.target, [...ids, `user:${email}`, `team:${team}`, `model:${alias}`]));
  if (ids.length > 0) await b.db.delete(apiKeys).where(inArray(apiKeys.id, ids));
  await b.db.delete(users).where(inArray(users.email, [email]));
  await b.db.delete(teams).where(inArray(teams.name, [team]));
  await b.db.delete(models).where(inArray(models.alias, [alias]));
  await b.close();
});

async function expectHeard(payload: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!heard.includes(payload) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(heard).toContain(payload);
}

const run = async (...args: string[]) => {
  const r = await runInProcess(args, b.env);
  expect(r.code, r.stderr).toBe(0);
  return r;
};

it("key changes announce the key's hash; user and team changes `policy`; model changes `models`", async () => {
  const created = JSON.parse((await run("keys", "create", "--user", email, "--json")).stdout);
  ids.push(created.id);
  const hash = await hashApiKey(created.key);
  await expectHeard(`key:${hash}`);

  heard.length = 0;
  await run("keys", "update", created.id, "--rpm", "5");
  await expectHeard(`key:${hash}`);

  heard.length = 0;
  const rotated = JSON.parse((await run("keys", "rotate", created.id, "--grace", "1h", "--json")).stdout);
  ids.push(rotated.id);
  await expectHeard(`key:${hash}`);

  heard.length = 0;
  await run("keys", "revoke", rotated.prefix);
  await expectHeard(`key:${await hashApiKey(rotated.key)}`);

  for (const args of [
    ["users", "set", email, "--tpm", "1000"],
    ["teams", "set", team, "--budget-daily", "1"],
  ]) {
    heard.length = 0;
    await run(...args);
    await expectHeard("policy");
  }
  for (const args of [
    ["models", "set", alias, "--target", "x.y-v1:0"],
    ["models", "disable", alias],
    ["models", "enable", alias],
  ]) {
    heard.length = 0;
    await run(...args);
    await expectHeard("models");
  }
});

// Checked on a key's own payload: other tests sharing this server may announce `policy` or `models` meanwhile.
it("a change that writes nothing announces nothing", async () => {
  const created = JSON.parse((await run("keys", "create", "--user", email, "--rpm", "7", "--json")).stdout);
  ids.push(created.id);
  const payload = `key:${await hashApiKey(created.key)}`;
  await expectHeard(payload);
  heard.length = 0;
  await run("keys", "update", created.id, "--rpm", "7");
  await new Promise((r) => setTimeout(r, 300));
  expect(heard).not.toContain(payload);
});
