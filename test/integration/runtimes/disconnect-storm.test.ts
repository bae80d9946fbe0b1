/**
 * A thousand concurrent streams through a real Node gateway process: all open at once (none waits in silence behind
 * a socket cap), those read to the end are delivered whole, and those the clients walk away from mid-stream have
 * their upstream cancelled at the simulator, their usage row `aborted` (499), and a log line saying the client went
 * away — never that Bedrock cut the stream (upstream_stream_truncated).
 */
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { testDatabaseUrl } from "../../support/db";
import { startGatewayProcess, type GatewayProcess, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

const CREDENTIALS = { accessKeyId: "AKIADISCONNECT000000", secretAccessKey: "disconnect-secret" };
const STREAMS = 1000;
/** Of them, this many are read to their end; the rest are dropped after their first bytes. */
const DELIVERED = 100;

const bed = processTestBed([CREDENTIALS]);
let gw: GatewayProcess;

beforeAll(async () => {
  gw = await startGatewayProcess("node", {
    DATABASE_URL: testDatabaseUrl(),
    ...simulatorEnv(bed.sim.url, CREDENTIALS),
    LOG_LEVEL: "info",
    MIGRATE_ON_START: "false",
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop("SIGKILL");
});

async function until(pred: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await pred()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("a thousand concurrent streams through a Node gateway", () => {
  it(`${STREAMS} streams open at once; ${DELIVERED} delivered whole, the rest dropped: upstream cancelled, rows aborted, logs blame the client`, async () => {
    const key = await createKey(bed.tdb.db, { user: `disconnect-${randomId(6)}@test.local` }, systemClock);
    const cancelledBefore = bed.sim.stats().streamsCancelled;
    // Every stream is held open until all have their headers and first bytes: a stream that waited in silence
    // behind an earlier one (a socket cap, a queue) would keep this Promise.all from resolving.
    const opened = await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const deliver = i < DELIVERED;
        const controller = new AbortController();
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
          body: JSON.stringify({
            model: "nova-lite",
            stream: true,
            messages: [{ role: "user", content: deliver ? "[sim:delay=20] [sim:words=40]" : "[sim:delay=100] [sim:words=3000]" }],
          }),
          signal: controller.signal,
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        return { deliver, controller, reader, first: first.value, requestId: res.headers.get("x-request-id")! };
      }),
    );
    const dropped = opened.filter((s) => !s.deliver);
    for (const s of dropped) s.controller.abort();
    await Promise.all(dropped.map((s) => s.reader.read().catch(() => {})));

    // The delivered ones: read to [DONE], every word of the simulator's 40-word reply there.
    const decoder = new TextDecoder();
    for (const s of opened.filter((x) => x.deliver)) {
      let text = decoder.decode(s.first, { stream: true });
      for (;;) {
        const { done, value } = await s.reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text.trimEnd().endsWith("data: [DONE]"), s.requestId).toBe(true);
      const content = text
        .split("\n")
        .filter((l) => l.startsWith("data: {"))
        .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
        .join("");
      expect(content.trim().split(/\s+/), s.requestId).toHaveLength(40);
    }

    const ids = opened.map((s) => s.requestId);
    const rows = async () => bed.tdb.db.select().from(usageEvents).where(inArray(usageEvents.requestId, ids));
    await until(async () => (await rows()).length === STREAMS && bed.sim.stats().streamsCancelled - cancelledBefore >= dropped.length, 30_000);

    const settled = new Map((await rows()).map((r) => [r.requestId, r]));
    expect(settled.size).toBe(STREAMS);
    for (const s of opened) {
      const row = settled.get(s.requestId)!;
      expect([row.status, row.httpStatus], s.requestId).toEqual(s.deliver ? ["ok", 200] : ["aborted", 499]);
    }
    expect(bed.sim.stats().streamsCancelled - cancelledBefore).toBeGreaterThanOrEqual(dropped.length);
    expect(bed.sim.stats().openStreams).toBe(0);

    // One "stream ended" line per request, saying how: done for the delivered, client_gone for the dropped.
    const ends = new Map<string, string[]>();
    for (const line of gw.logs().split("\n")) {
      const id = line.includes("stream ended") ? /"requestId":"([^"]+)"/.exec(line)?.[1] : undefined;
      if (id) ends.set(id, [...(ends.get(id) ?? []), line]);
    }
    for (const s of opened) {
      const lines = ends.get(s.requestId) ?? [];
      expect(lines, s.requestId).toHaveLength(1);
      expect(lines[0]).toContain(s.deliver ? '"end":"done"' : '"end":"client_gone"');
    }
    expect(gw.logs()).not.toContain("upstream_stream_truncated");
  }, 120_000);
});
