/**
 * A graceful stop whose drain deadline passes with streams still open, on a real Node and Bun process: the gateway
 * ends each stream itself, in its door's error shape (not a silent truncated end), cancels its Bedrock stream,
 * writes its usage row as `shutdown` (503 shutting_down) before exiting 0, and logs one `shutdown` end for it,
 * never client_gone or upstream_stream_truncated. Requests still waiting for Bedrock then (a plain request, a
 * stream before its first event) have their call cancelled and answer their door's 503 shutting_down, with the
 * same row and one `request ended` line with end shutdown.
 */
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { testDatabaseUrl } from "../../support/db";
import { startGatewayProcess, type Runtime, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

const CREDENTIALS = { accessKeyId: "AKIASHUTDOWNSTREAMS0", secretAccessKey: "shutdown-streams-secret" };
const DRAIN_MS = 1500;
const SLOW = "[sim:delay=200] [sim:words=1000]";

const bed = processTestBed([CREDENTIALS]);

const DOORS = [
  {
    door: "chat completions",
    path: "/v1/chat/completions",
    body: { model: "nova-lite", stream: true, messages: [{ role: "user", content: SLOW }] },
    content: '"content":"',
    error: 'data: {"error":{"message":"The gateway is shutting down; retry the request.","type":"server_error","param":null,"code":"shutting_down"}}\n\n',
    clean: "data: [DONE]",
  },
  {
    door: "messages",
    path: "/v1/messages",
    body: { model: "claude-sonnet-4-5", max_tokens: 4000, stream: true, messages: [{ role: "user", content: SLOW }] },
    content: "text_delta",
    error: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"The gateway is shutting down; retry the request."}}\n\n',
    clean: "message_stop",
  },
  {
    door: "responses",
    path: "/v1/responses",
    body: { model: "nova-lite", stream: true, store: false, input: SLOW },
    content: "response.output_text.delta",
    error:
      /event: error\ndata: \{"type":"error","code":"shutting_down".*\n\nevent: response\.failed\ndata: [^\n]*"status":"failed"[^\n]*"code":"shutting_down"[^\n]*\n\n$/s,
    clean: "response.completed",
  },
] as const;

/** Bedrock holds these longer than the drain: each is still waiting for its answer (or first event) at the deadline. */
const WAIT = "[sim:ttfb=20000] hello";
const SHUTTING_DOWN = "The gateway is shutting down; retry the request.";
const WAITING: { door: string; path: string; body: { stream?: boolean } & Record<string, unknown>; status: number; json: unknown }[] = [
  {
    door: "chat completions",
    path: "/v1/chat/completions",
    body: { model: "nova-lite", messages: [{ role: "user", content: WAIT }] },
    status: 503,
    json: { error: { message: SHUTTING_DOWN, type: "server_error", param: null, code: "shutting_down" } },
  },
  {
    door: "messages",
    path: "/v1/messages",
    body: { model: "claude-sonnet-4-5", max_tokens: 200, messages: [{ role: "user", content: WAIT }] },
    status: 529,
    json: { type: "error", error: { type: "overloaded_error", message: SHUTTING_DOWN } },
  },
  {
    door: "chat completions, a stream before its first event",
    path: "/v1/chat/completions",
    body: { model: "nova-lite", stream: true, messages: [{ role: "user", content: WAIT }] },
    status: 503,
    json: { error: { message: SHUTTING_DOWN, type: "server_error", param: null, code: "shutting_down" } },
  },
];

type Read = { text: string; closed: boolean; error: unknown };

/** Reads a stream to its end, calling `onContent` once content has arrived; a cut connection is noted, not thrown. */
async function readAll(res: Response, content: string, onContent: () => void): Promise<Read> {
  const out: Read = { text: "", closed: false, error: null };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      out.text += decoder.decode(r.value, { stream: true });
      if (!seen && out.text.includes(content)) {
        seen = true;
        onContent();
      }
    }
    out.closed = true;
  } catch (err) {
    out.error = err;
  }
  return out;
}

/** A gateway process whose graceful stop gives open requests DRAIN_MS. */
const startDraining = (runtime: Runtime) =>
  startGatewayProcess(runtime, {
    DATABASE_URL: testDatabaseUrl(),
    ...simulatorEnv(bed.sim.url, CREDENTIALS),
    LOG_LEVEL: "info",
    MIGRATE_ON_START: "false",
    SHUTDOWN_TIMEOUT_MS: String(DRAIN_MS),
  });

describe.each<Runtime>(["node", "bun"])("%s: streams and requests open at the drain deadline", (runtime) => {
  it("get their door's error event, their Bedrock stream cancelled, a shutdown row and one shutdown log line; exit 0", async () => {
    const key = await createKey(bed.tdb.db, { user: `shutdown-${runtime}-${randomId(6)}@test.local` }, systemClock);
    const gw = await startDraining(runtime);
    try {
      const cancelledBefore = bed.sim.stats().streamsCancelled;
      const responses = await Promise.all(
        DOORS.map((d) =>
          fetch(`${gw.url}${d.path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
            body: JSON.stringify(d.body),
          }),
        ),
      );
      for (const res of responses) expect(res.status).toBe(200);
      const ids = responses.map((r) => r.headers.get("x-request-id")!);

      let flowing = 0;
      let sigterm = 0;
      let exit: Promise<number | null> | null = null;
      const reads = await Promise.all(
        responses.map((res, i) =>
          readAll(res, DOORS[i]!.content, () => {
            if (++flowing < DOORS.length) return;
            sigterm = Date.now();
            exit = gw.stop("SIGTERM");
          }),
        ),
      );
      const endedAfterMs = Date.now() - sigterm;
      expect(exit, "SIGTERM was never sent: a stream delivered no content").not.toBeNull();
      expect(await exit).toBe(0);
      // 1000 words 200 ms apart would take minutes: the streams were ended at the deadline, not finished.
      expect(endedAfterMs).toBeGreaterThanOrEqual(DRAIN_MS - 100);
      expect(endedAfterMs).toBeLessThan(DRAIN_MS + 5_000);

      reads.forEach((r, i) => {
        const d = DOORS[i]!;
        expect(r.error, `${d.door}: ${String(r.error)}`).toBeNull();
        expect(r.closed, d.door).toBe(true);
        if (typeof d.error === "string") expect(r.text.endsWith(d.error), `${d.door}: ${r.text.slice(-300)}`).toBe(true);
        else expect(r.text, d.door).toMatch(d.error);
        expect(r.text, d.door).not.toContain(d.clean);
      });
      expect(bed.sim.stats().streamsCancelled - cancelledBefore).toBeGreaterThanOrEqual(DOORS.length);

      // Written before the process exited (its exit was awaited above): no waiting for them here.
      const rows = await bed.tdb.db.select().from(usageEvents).where(inArray(usageEvents.requestId, ids));
      expect(rows).toHaveLength(DOORS.length);
      for (const row of rows) {
        expect(row).toMatchObject({ stream: true, status: "error", httpStatus: 503, errorCode: "shutting_down" });
        expect(row.outputTokens, row.endpoint).toBeGreaterThan(0);
      }

      const logs = gw.logs().split("\n");
      for (const id of ids) {
        const ends = logs.filter((l) => l.includes(id) && l.includes('"stream ended"'));
        expect(ends, id).toHaveLength(1);
        expect(ends[0]).toContain('"end":"shutdown"');
        expect(
          logs.filter((l) => l.includes(id) && (l.includes("client_gone") || l.includes("client_closed_request"))),
          id,
        ).toEqual([]);
      }
      expect(gw.logs()).not.toContain("upstream_stream_truncated");
      expect(gw.logs()).not.toContain("usage row not written at exit");
      expect(gw.logs()).toContain('"drain timeout reached: ending open requests and streams, closing remaining connections"');
    } finally {
      await gw.stop("SIGKILL");
    }
  }, 60_000);

  it("requests still waiting for Bedrock get their door's 503 shutting_down, their call cancelled, a shutdown row and line; exit 0", async () => {
    const key = await createKey(bed.tdb.db, { user: `shutdown-wait-${runtime}-${randomId(6)}@test.local` }, systemClock);
    const gw = await startDraining(runtime);
    try {
      const before = bed.sim.stats();
      const responses = Promise.all(
        WAITING.map((d) =>
          fetch(`${gw.url}${d.path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
            body: JSON.stringify(d.body),
          }),
        ),
      );
      // Every request is held by Bedrock (the simulator) before the stop begins.
      const deadline = Date.now() + 10_000;
      while (bed.sim.stats().inFlight - before.inFlight < WAITING.length) {
        if (Date.now() > deadline) throw new Error(`requests never reached the simulator\n${gw.logs().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const sigterm = Date.now();
      const exit = gw.stop("SIGTERM");
      const answered = await responses;
      const answeredAfterMs = Date.now() - sigterm;
      const bodies = await Promise.all(answered.map((r) => r.json()));
      expect(await exit).toBe(0);
      // Bedrock would answer after 20 s: they were ended at the deadline, not drained.
      expect(answeredAfterMs).toBeGreaterThanOrEqual(DRAIN_MS - 100);
      expect(answeredAfterMs).toBeLessThan(DRAIN_MS + 5_000);

      answered.forEach((res, i) => {
        const d = WAITING[i]!;
        expect(res.status, d.door).toBe(d.status);
        expect(res.headers.get("retry-after"), d.door).toBe("1");
        expect(bodies[i], d.door).toEqual(d.json);
      });
      expect(bed.sim.stats().requestsCancelled - before.requestsCancelled).toBeGreaterThanOrEqual(WAITING.length);

      const ids = answered.map((r) => r.headers.get("x-request-id")!);
      // Written before the process exited (its exit was awaited above): no waiting for them here.
      const rows = await bed.tdb.db.select().from(usageEvents).where(inArray(usageEvents.requestId, ids));
      expect(rows).toHaveLength(WAITING.length);
      for (const [i, id] of ids.entries()) {
        const d = WAITING[i]!;
        expect(
          rows.find((r) => r.requestId === id),
          d.door,
        ).toMatchObject({ status: "error", httpStatus: d.status, errorCode: "shutting_down", stream: d.body.stream === true });
      }

      const logs = gw.logs().split("\n");
      for (const id of ids) {
        const ends = logs.filter((l) => l.includes(id) && (l.includes('"request ended"') || l.includes('"stream ended"')));
        expect(ends, id).toHaveLength(1);
        expect(ends[0]).toContain('"request ended"');
        expect(ends[0]).toContain('"end":"shutdown"');
        expect(
          logs.filter((l) => l.includes(id) && (l.includes("client_gone") || l.includes("client_closed_request"))),
          id,
        ).toEqual([]);
      }
      expect(gw.logs()).not.toContain("usage row not written at exit");
      expect(gw.logs()).toContain('"drain timeout reached: ending open requests and streams, closing remaining connections"');
    } finally {
      await gw.stop("SIGKILL");
    }
  }, 60_000);
});
