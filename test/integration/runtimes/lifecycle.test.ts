/**
 * Each runtime as a real process, started as its README command does (test/support/gateway-process.ts), for what
 * belongs to the runtime rather than to the routes: start-up and environment handover (a secret full of `$` and
 * quotes must reach the signer intact), database connectivity, SSE passed on as produced rather than buffered,
 * and SIGTERM: Node and Bun stop accepting, let the open stream finish, write its usage row and exit 0.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import { testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess, type Runtime, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

// Exercises the quoting of scripts/start-worker.mjs's env file and dotenv-expand's `$` handling.
const CREDENTIALS = { accessKeyId: "AKIALIFECYCLE0000000", secretAccessKey: "se$HOME'cr${PATH}et/+x" };

// Migrated here: the Worker never migrates.
const bed = processTestBed([CREDENTIALS]);

type Timed = { text: string; contentAt: number[]; doneAt: number | null };

/** Reads an SSE response, noting when each chunk carrying content arrived. */
async function readTimed(res: Response, started: number, onFirstContent?: () => void): Promise<Timed> {
  const out: Timed = { text: "", contentAt: [], doneAt: null };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    const chunk = decoder.decode(r.value, { stream: true });
    out.text += chunk;
    if (chunk.includes('"content":"')) {
      if (out.contentAt.length === 0) onFirstContent?.();
      out.contentAt.push(Date.now() - started);
    }
    if (chunk.includes("data: [DONE]")) out.doneAt = Date.now() - started;
  }
  return out;
}

describe.each<Runtime>(["node", "bun", "workerd"])("%s runtime", (runtime) => {
  let gw: GatewayProcess;
  let key: { id: string; key: string };
  let startMs = 0;

  beforeAll(async () => {
    key = await createKey(bed.tdb.db, { user: `lifecycle-${runtime}-${randomId(6)}@test.local` }, systemClock);
    const started = Date.now();
    gw = await startGatewayProcess(runtime, {
      DATABASE_URL: testDatabaseUrl(),
      ...simulatorEnv(bed.sim.url, CREDENTIALS),
      LOG_LEVEL: "warn",
      MIGRATE_ON_START: "false",
      SHUTDOWN_TIMEOUT_MS: "10000",
    });
    startMs = Date.now() - started;
    console.log(`${runtime}: /healthz answered ${startMs} ms after spawn`);
  });

  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  const stream = (content: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", stream: true, messages: [{ role: "user", content }] }),
    });

  it("reaches the database and signs with the credentials it was given", async () => {
    expect(await (await fetch(`${gw.url}/readyz`)).json()).toEqual({
      status: "ok",
      database: "ok",
      // Node and Bun look AWS credentials up themselves; a Worker is given them as secrets.
      ...(runtime === "workerd" ? {} : { credentials: "ok" }),
    });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("passes SSE chunks on as Bedrock produces them", async () => {
    const started = Date.now();
    const res = await stream("[sim:delay=150] [sim:words=8]");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const timed = await readTimed(res, started);
    expect(timed.doneAt).not.toBeNull();
    // 8 words 150 ms apart: a buffered body would arrive all at once at the end.
    expect(timed.contentAt.length).toBeGreaterThanOrEqual(4);
    expect(timed.contentAt[0]!).toBeLessThan(timed.doneAt! - 600);
  });

  if (runtime === "workerd") {
    it("stops on SIGTERM (wrangler dev ends open requests at once: local only, see docs/deploy.md)", async () => {
      const stopped = Date.now();
      expect(await gw.stop("SIGTERM")).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(10_000);
    });
    return;
  }

  it("on SIGTERM refuses new connections, finishes the open streams, writes their rows and exits 0", async () => {
    const started = Date.now();
    const OPEN = 100;
    const responses = await Promise.all(Array.from({ length: OPEN }, () => stream("[sim:delay=150] [sim:words=10]")));
    let exit: Promise<number | null> | null = null;
    const timed = await Promise.all(
      responses.map((res, i) =>
        readTimed(res, started, () => {
          if (i === 0) exit = gw.stop("SIGTERM");
        }),
      ),
    );
    for (const t of timed) {
      expect(t.doneAt, t.text.slice(-300)).not.toBeNull();
      // Every stream delivered its whole answer (10 words) after SIGTERM. How many reads that took depends on the
      // machine's load (100 streams coalesce), so count words, not reads; unbuffered delivery is the test above.
      expect(t.contentAt.length).toBeGreaterThanOrEqual(1);
      expect((t.text.match(/"content":"[^"]+"/g) ?? []).length, t.text.slice(-300)).toBeGreaterThanOrEqual(5);
    }
    // A request after SIGTERM is refused: no new connections, and a kept-alive one gets 503 + connection: close.
    const late = await fetch(`${gw.url}/healthz`).catch((e: unknown) => e);
    if (late instanceof Response) {
      expect(late.status).toBe(503);
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe("shutting_down");
    } else expect(late).toBeInstanceOf(Error);
    expect(await exit).toBe(0);
    const rows = await bed.tdb.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id));
    expect(rows.filter((r) => r.stream && r.status === "ok")).toHaveLength(OPEN + 1);
  });

  it("fails fast with one clear line when the database is unreachable", async () => {
    const child = await import("node:child_process");
    const [cmd, args] = runtime === "node" ? [process.execPath, ["dist/node.js"]] : [`${ROOT}/node_modules/.bin/bun`, ["src/runtimes/bun.ts"]];
    const r = child.spawnSync(cmd, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: "postgres://postgres:pw@127.0.0.1:9/none", DB_CONNECT_TIMEOUT_MS: "500", PORT: "0", LOG_LEVEL: "error" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed to start: Cannot reach the database .* Check DATABASE_URL/);
    expect(r.stderr).not.toContain("pw@");
  });
});
