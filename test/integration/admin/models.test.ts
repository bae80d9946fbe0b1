/**
 * The Models page's edit form and POST /admin/api/models/:alias: other names, the model's price and a target's own
 * price, through setModel as `models set` makes them, stored as integer micro-dollars, audited with the console
 * session as the actor, refused without the CSRF token.
 */
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setModel } from "../../../src/db/models";
import { auditLog, models } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { testBackends, type TestDb } from "../../support/db";
import { ADMIN_TOKEN, adminHarness, type AdminHarness } from "./admin-harness";

describe.each(testBackends)("editing a model in the console on $name", ({ open }) => {
  let t: TestDb;
  let h: AdminHarness;
  let cookie: string;
  let csrf: string;
  const alias = `console-m-${randomId(8).toLowerCase()}`;
  beforeAll(async () => {
    t = await open();
    h = adminHarness(t.db);
    ({ cookie, csrf } = await h.signIn());
    await setModel(
      t.db,
      { alias, targets: [{ modelId: "us.amazon.nova-lite-v1:0" }, { modelId: "global.amazon.nova-lite-v1:0" }], price: { input: 60_000, output: 240_000 } },
      systemClock,
      "test",
    );
  });
  afterAll(async () => {
    await t.db.delete(models).where(inArray(models.alias, [alias]));
    await t.db.delete(auditLog).where(eq(auditLog.target, `model:${alias}`));
    await t.close();
  });

  const post = (fields: Record<string, string>, withCsrf = true) =>
    h.request(`/admin/models/${alias}`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...(withCsrf ? { _csrf: csrf } : {}), ...fields }).toString(),
    });
  const row = async () => (await t.db.select().from(models).where(eq(models.alias, alias)))[0];

  it("shows the form with the prices in dollars", async () => {
    const res = await h.request(`/admin/models/${alias}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('name="input" inputmode="decimal" autocomplete="off" value="0.060000"');
    expect(page).toContain('name="target_1" value="global.amazon.nova-lite-v1:0"');
    expect(page).toContain(`name="_csrf" value="${csrf}"`);
  });

  it("without the CSRF token nothing changes", async () => {
    const res = await post({ input: "9", output: "9" }, false);
    expect(res.status).toBe(403);
    expect((await row()).price).toEqual({ input: 60_000, output: 240_000 });
  });

  it("saves names, the model's price and a target's own price, audited with the session", async () => {
    const res = await post({
      aliases: `${alias}-latest, ${alias}-v1`,
      input: "0.123457",
      output: "1.5",
      cache_read: "0.03",
      cache_write: "",
      target_0: "us.amazon.nova-lite-v1:0",
      target_0_input: "",
      target_0_output: "",
      target_0_cache_read: "",
      target_0_cache_write: "",
      target_1: "global.amazon.nova-lite-v1:0",
      target_1_input: "0.05",
      target_1_output: "0.2",
      target_1_cache_read: "",
      target_1_cache_write: "",
    });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`Saved ${alias}:`);
    expect(page).toContain(`bedrock-gateway models set ${alias} --input 0.123457 --output 1.5 --cache-read 0.03 --cache-write none`);
    const r = await row();
    expect(r.aliases).toEqual([`${alias}-latest`, `${alias}-v1`]);
    expect(r.price).toEqual({ input: 123_457, output: 1_500_000, cacheRead: 30_000 });
    expect(r.targets).toEqual([
      { modelId: "us.amazon.nova-lite-v1:0" },
      { modelId: "global.amazon.nova-lite-v1:0", price: { input: 50_000, output: 200_000 } },
    ]);
    const audits = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.target, `model:${alias}`), eq(auditLog.action, "model.set")));
    const last = audits.at(-1)!;
    expect(last.actor).toMatch(/^console:[0-9a-f]{8}@/);
    expect(Object.keys((last.details as { changes: object }).changes).sort()).toEqual(["aliases", "price", "targets"]);
    expect(r.source).toMatch(/^console:[0-9a-f]{8}@.+ \(\d{4}-\d{2}-\d{2}\)$/);
  });

  it("a bad price is shown beside the form and changes nothing", async () => {
    const before = await row();
    const res = await post({ input: "1.2345678", output: "2" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("--input must be an amount in USD with at most six decimals");
    expect(await row()).toEqual(before);
  });

  it("the JSON API takes the same fields with the admin token; an unknown model is a 404", async () => {
    const res = await h.request(`/admin/api/models/${alias}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ target_1: "global.amazon.nova-lite-v1:0", target_1_input: "", target_1_output: "" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { targets: { price: unknown }[]; changes: Record<string, unknown> };
    expect(body.targets.map((x) => x.price)).toEqual([null, null]);
    expect(Object.keys(body.changes)).toEqual(["targets"]);
    const missing = await h.request("/admin/api/models/no-such-model-here", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ input: "1", output: "2" }),
    });
    expect(missing.status).toBe(404);
  });
});
