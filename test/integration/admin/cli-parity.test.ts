/**
 * The console's report and `bedrock-gateway usage report` print the same thing for the same words: the JSON of
 * GET /admin/usage equals the CLI's `--format json`, and the console's CSV export equals `--format csv`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomEmail, randomTeam, testDatabaseUrl } from "../../support/db";
import { openTestPostgres, type TestDb } from "../../support/db";
import { runInProcess } from "../db/cli-harness";
import { ADMIN_TOKEN, adminHarness, newKey, seedUsage, type AdminHarness } from "./admin-harness";

describe("the console's report and the CLI's", () => {
  let t: TestDb;
  let h: AdminHarness;
  const team = randomTeam();
  beforeAll(async () => {
    t = await openTestPostgres();
    h = adminHarness(t.db);
    const users = [randomEmail("x"), randomEmail("y")];
    const keys = await Promise.all(users.map((u) => newKey(t.db, u, team)));
    await seedUsage(t.db, [
      { keyId: keys[0].id, user: users[0], team, model: "claude-sonnet-4-5", at: "2022-05-01T10:00:00Z", costMicros: 3_000_001 },
      { keyId: keys[0].id, user: users[0], team, model: "nova-lite", at: "2022-05-02T10:00:00Z", costMicros: 17, status: "error" },
      { keyId: keys[1].id, user: users[1], team, model: "nova-lite", at: "2022-05-03T10:00:00Z", costMicros: 250_000 },
      { keyId: null, user: users[1], team, model: "nova-lite", at: "2022-05-03T11:00:00Z", costMicros: 1 },
    ]);
  });
  afterAll(async () => t.close());

  it.each([
    ["--by", "user"],
    ["--by", "key"],
    ["--by", "model,user"],
    ["--by", "day"],
  ])("usage report %s %s", async (_, by) => {
    const words = { since: "2022-05-01", until: "2022-05-04T00:00:00Z", by, team };
    const flags = Object.entries(words).flatMap(([k, v]) => [`--${k}`, v]);
    const env = { DATABASE_URL: testDatabaseUrl() };
    const json = await runInProcess(["usage", "report", ...flags, "--format", "json"], env);
    expect(json.code).toBe(0);
    const api = await h.request(`/admin/usage?${new URLSearchParams(words)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await api.json()).toEqual(JSON.parse(json.stdout));

    const csv = await runInProcess(["usage", "report", ...flags, "--format", "csv"], env);
    const exported = await h.request(`/admin/api/report?${new URLSearchParams({ ...words, format: "csv" })}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect((await exported.text()).split("\r\n").slice(0, -1)).toEqual(csv.lines);
  });
});
