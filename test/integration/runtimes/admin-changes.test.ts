/**
 * Admin changes reach running gateways at once through Postgres LISTEN/NOTIFY (Node and Bun): a revoked key, a
 * tightened policy and a disabled model take effect on the next request, although the key and catalogue caches
 * would otherwise keep them for ten minutes.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, revokeKey, updateKey } from "../../../src/db/keys";
import { setModel, setModelEnabled } from "../../../src/db/models";
import { models } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { randomEmail, testDatabaseUrl } from "../../support/db";
import { startGatewayProcess, type GatewayProcess, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

const CREDENTIALS = { accessKeyId: "AKIAADMINCHANGES0000", secretAccessKey: "admin-changes-secret" };

const bed = processTestBed([CREDENTIALS]);

/** The change is announced at commit and handled within milliseconds; allow a little for delivery. */
async function eventually(fn: () => Promise<number>, want: number): Promise<number> {
  let got = await fn();
  for (let i = 0; got !== want && i < 10; i++) {
    await new Promise((r) => setTimeout(r, 20));
    got = await fn();
  }
  return got;
}

describe.each(["node", "bun"] as const)("admin changes on a running %s gateway", (runtime) => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGatewayProcess(runtime, {
      DATABASE_URL: testDatabaseUrl(),
      ...simulatorEnv(bed.sim.url, CREDENTIALS),
      LOG_LEVEL: "warn",
      KEY_CACHE_TTL_MS: "600000",
    });
  }, 120_000);
  afterAll(async () => void (await gw?.stop()));

  const chat = (key: string, model = "nova-lite") =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    }).then(async (r) => (await r.arrayBuffer(), r.status));

  it("a revoked key stops working as soon as revocation returns", async () => {
    const k = await createKey(bed.tdb.db, { user: randomEmail("revoke"), actor: "test" }, systemClock);
    expect(await chat(k.key)).toBe(200); // now cached for ten minutes
    await revokeKey(bed.tdb.db, k.prefix, systemClock, "test");
    expect(await eventually(() => chat(k.key), 401)).toBe(401);
  });

  it("a key's narrowed model list applies to the next request", async () => {
    const k = await createKey(bed.tdb.db, { user: randomEmail("narrow"), actor: "test" }, systemClock);
    expect(await chat(k.key, "nova-micro")).toBe(200);
    await updateKey(bed.tdb.db, k.prefix, { allowedModels: ["nova-lite"] }, systemClock, "test");
    expect(await eventually(() => chat(k.key, "nova-micro"), 404)).toBe(404);
    expect(await chat(k.key, "nova-lite")).toBe(200);
  });

  it("a model added, then disabled, is served, then refused", async () => {
    const alias = `admin-${randomId(8).toLowerCase()}`;
    const k = await createKey(bed.tdb.db, { user: randomEmail("models"), actor: "test" }, systemClock);
    await setModel(bed.tdb.db, { alias, targets: [{ modelId: "us.amazon.nova-lite-v1:0" }], price: { input: 60_000, output: 240_000 } }, systemClock, "test");
    expect(await eventually(() => chat(k.key, alias), 200)).toBe(200);
    await setModelEnabled(bed.tdb.db, alias, false, systemClock, "test");
    expect(await eventually(() => chat(k.key, alias), 404)).toBe(404);
    await bed.tdb.db.delete(models).where(eq(models.alias, alias));
  });
});
