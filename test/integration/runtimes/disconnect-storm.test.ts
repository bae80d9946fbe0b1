/**
 * Many clients walking away mid-stream from a real Node gateway process: every stream's upstream is cancelled at the
 * simulator, every usage row says `aborted` (499), and the log says the client went away — never that Bedrock cut
 * the stream (upstream_stream_truncated).
 */
import { execFileSync } from "node:child_process";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess, simulatorEnv } from "../../support/gateway-process";

const CREDENTIALS = { accessKeyId: "AKIADISCONNECT000000", secretAccessKey: "disconnect-secret" };
const STREAMS = 60;

let sim: Simulator;
let tdb: Awaited<ReturnType<typeof openTestPostgres>>;
let gw: GatewayProcess;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  sim = await startSimulator({ port: 0, credentials: [CREDENTIALS] });
  tdb = await openTestPostgres();
  gw = await startGatewayProcess("node", {
    DATABASE_URL: testDatabaseUrl(),
    ...simulatorEnv(sim.url, CREDENTIALS),
    LOG_LEVEL: "info",
    MIGRATE_ON_START: "false",
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop("SIGKILL");
  await tdb?.close();
  await sim?.close();
});

async function until(pred: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await pred()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("clients disconnecting mid-stream from a Node gateway", () => {
  it(`${STREAMS} streams dropped after their first bytes: upstream cancelled, rows aborted, logs blame the client`, async () => {
    const key = await createKey(tdb.db, { user: `disconnect-${randomId(6)}@test.local` }, systemClock);
    const cancelledBefore = sim.stats().streamsCancelled;
    const opened = await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        const controller = new AbortController();
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "nova-lite", stream: true, messages: [{ role: "user", content: "[sim:delay=50] [sim:words=400]" }] }),
          signal: controller.signal,
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        await reader.read();
        return { controller, reader, requestId: res.headers.get("x-request-id")! };
      }),
    );
    for (const s of opened) s.controller.abort();
    await Promise.all(opened.map((s) => s.reader.read().catch(() => {})));

    const ids = opened.map((s) => s.requestId);
    const rows = async () => tdb.db.select().from(usageEvents).where(inArray(usageEvents.requestId, ids));
    await until(async () => (await rows()).length === STREAMS && sim.stats().streamsCancelled - cancelledBefore >= STREAMS);

    const settled = await rows();
    expect(settled).toHaveLength(STREAMS);
    for (const row of settled) {
      expect(row.status).toBe("aborted");
      expect(row.httpStatus).toBe(499);
    }
    expect(sim.stats().streamsCancelled - cancelledBefore).toBeGreaterThanOrEqual(STREAMS);

    const logs = gw.logs();
    for (const id of ids) {
      const lines = logs.split("\n").filter((l) => l.includes(id) && l.includes("stream ended"));
      expect(lines, id).toHaveLength(1);
      expect(lines[0]).toContain("client_gone");
    }
    expect(logs).not.toContain("upstream_stream_truncated");
  }, 60_000);
});
