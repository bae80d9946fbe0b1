/**
 * Several embedding inputs, one of which Bedrock refuses: the calls still running are cancelled, and the usage row
 * records the tokens of the calls that completed (Bedrock billed them).
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "./app-harness";

let sim: Simulator;
let t: TestDb;
let h: Harness;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url });
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

const embed = (key: string, input: string[]) => h.post("/v1/embeddings", key, { model: "titan-embed-text-v2", input });

describe("embeddings with one failing input", () => {
  it("cancels the calls still running and records the tokens of the completed ones", async () => {
    const good = ["alpha beta gamma", "delta epsilon zeta eta"];
    const { key: probeKey } = await h.newKey("embed-probe");
    const probe = await embed(probeKey, good);
    expect(probe.status).toBe(200);
    const billed = ((await probe.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    expect(billed).toBeGreaterThan(0);

    sim.reset();
    const { key, id } = await h.newKey("embed-partial");
    const started = Date.now();
    // Four inputs run at once: two answer at once, one fails after 300 ms, one would answer only after 8 s.
    const res = await embed(key, [...good, "[sim:ttfb=300] [sim:error=ValidationException] bad", "[sim:ttfb=8000] slow"]);
    expect(res.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(5_000);

    // The slow call is cancelled: the simulator sees its client go away long before its 8 s.
    const deadline = Date.now() + 3_000;
    const slow = () => sim.requests().find((r) => JSON.stringify(r.body).includes("slow"));
    while (slow()?.outcome !== "cancelled" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(slow()?.outcome).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(5_000);

    await h.settle();
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "error", httpStatus: 400, inputTokens: billed });
  });
});
