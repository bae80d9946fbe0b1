/**
 * The Node gateway reads a request's body and notices its client leaving straight from node:http
 * (src/runtimes/node/request-fast-path.ts), with the Fetch standard's semantics: a UTF-8 BOM is dropped and bad
 * bytes replaced, a chunked body is held to MAX_BODY_BYTES like one with a Content-Length, and a client that goes
 * away while its request waits for Bedrock has the Bedrock call cancelled and its row written as aborted/499.
 */
import http from "node:http";
import { PassThrough } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../../src/db/keys";
import { rowsOf } from "../../../src/db/rows";
import { randomId, systemClock } from "../../../src/deps";
import { readAll } from "../../../src/runtimes/node/request-fast-path";
import { testDatabaseUrl } from "../../support/db";
import { startGatewayProcess, type GatewayProcess, simulatorEnv } from "../../support/gateway-process";
import { processTestBed } from "../../support/process-bed";

const CREDENTIALS = { accessKeyId: "AKIANODEREQPATH00000", secretAccessKey: "node-request-path-secret" };
const bed = processTestBed([CREDENTIALS]);
let gw: GatewayProcess;
let key: { id: string; key: string };

beforeAll(async () => {
  key = await createKey(bed.tdb.db, { user: `node-request-path-${randomId(6)}@test.local` }, systemClock);
  gw = await startGatewayProcess("node", {
    DATABASE_URL: testDatabaseUrl(),
    ...simulatorEnv(bed.sim.url, CREDENTIALS),
    LOG_LEVEL: "warn",
    MIGRATE_ON_START: "false",
    MAX_BODY_BYTES: "4096",
  });
});
afterAll(async () => {
  await gw?.stop("SIGKILL");
});

/** Sends `chunks` as the body (chunked unless `length` is given); answers the status and body text. */
function send(chunks: Buffer[], opts: { length?: boolean } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${gw.url}/v1/chat/completions`);
    const headers: Record<string, string> = { authorization: `Bearer ${key.key}`, "content-type": "application/json" };
    if (opts.length) headers["content-length"] = String(chunks.reduce((n, c) => n + c.length, 0));
    const req = http.request(u, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const body = (content: string) => JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content }] });

describe("the Node request path", () => {
  it.each([true, false])("drops a UTF-8 BOM before parsing JSON (content-length: %s)", async (length) => {
    const res = await send([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body("Hi [sim:words=3]"))], { length });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).choices[0].message.content).toBeTruthy();
  });

  it("replaces bytes that are not UTF-8, as the Fetch standard decodes", async () => {
    const [before, after] = body("caf\u0000 [sim:echo-request]").split("\\u0000");
    const res = await send([Buffer.from(before!), Buffer.from([0xff, 0xfe]), Buffer.from(after!)], { length: true });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).choices[0].message.content).toContain("caf\ufffd\ufffd");
  });

  it("reads a body that arrives in many small pieces", async () => {
    const whole = Buffer.from(body("Many pieces [sim:words=2]"));
    const pieces = Array.from({ length: Math.ceil(whole.length / 7) }, (_, i) => whole.subarray(i * 7, i * 7 + 7));
    expect((await send(pieces)).status).toBe(200);
  });

  it.each([
    ["with a content-length", true],
    ["chunked", false],
  ])("answers 413 for a body over MAX_BODY_BYTES %s", async (_name, length) => {
    const res = await send([Buffer.from(body("x".repeat(5_000)))], { length });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.message).toContain("4096");
  });

  it("cancels the Bedrock call of a client that leaves while it waits, and writes the row as aborted/499", async () => {
    const nonce = randomId(8);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      });
      req.on("error", () => resolve());
      req.end(body(`Slow ${nonce} [sim:ttfb=4000]`));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 500);
      req.on("response", () => reject(new Error("answered before the client left")));
    });
    let rows: { status: string; http_status: number; latency_ms: number }[] = [];
    for (let i = 0; i < 60 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = rowsOf(
        await bed.tdb.db.execute(
          sql`select status, http_status, latency_ms from usage_events where key_id = ${key.id} and status <> 'ok' order by created_at desc limit 1`,
        ),
      );
    }
    expect(rows[0]).toMatchObject({ status: "aborted", http_status: 499 });
    // Written when the client left, not when Bedrock would have answered.
    expect(rows[0]!.latency_ms).toBeLessThan(3_000);
  });
});

describe("a client that leaves before its body is in", () => {
  it("gets a row aborted/499, and the gateway serves the next request", async () => {
    const since = new Date().toISOString();
    const whole = Buffer.from(body("Half a body"));
    await new Promise<void>((resolve) => {
      const req = http.request(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json", "content-length": String(whole.length) },
      });
      req.on("error", () => resolve());
      req.write(whole.subarray(0, 20));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    let rows: { status: string; http_status: number }[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = rowsOf(
        await bed.tdb.db.execute(
          sql`select status, http_status from usage_events where key_id = ${key.id} and created_at >= ${since}::timestamptz and status = 'aborted' and error_code = 'client_closed_request' order by created_at desc limit 1`,
        ),
      );
    }
    expect(rows[0]).toMatchObject({ status: "aborted", http_status: 499 });
    expect((await send([Buffer.from(body("After [sim:words=2]"))], { length: true })).status).toBe(200);
    // The client's leaving is not the gateway's error.
    expect(gw.logs()).not.toMatch(/"level":"error"/);
  });
});

describe("readAll", () => {
  it("joins the pieces of a body, and answers an empty one", async () => {
    const s = new PassThrough();
    const whole = readAll(s as never);
    s.write(Buffer.from("ab"));
    s.write(Buffer.from("cd"));
    s.end();
    expect((await whole).toString()).toBe("abcd");
    const empty = new PassThrough();
    const none = readAll(empty as never);
    empty.end();
    expect((await none).length).toBe(0);
  });

  it("rejects at once for a request already gone, and when the stream closes without its end", async () => {
    const gone = new PassThrough();
    gone.destroy();
    await expect(readAll(gone as never)).rejects.toThrow(/closed the connection/);
    const closed = new PassThrough();
    const whole = readAll(closed as never);
    closed.write(Buffer.from("ab"));
    closed.destroy();
    await expect(whole).rejects.toThrow(/closed the connection/);
  });

  it("rejects when the body is cut off", async () => {
    const s = new PassThrough();
    const whole = readAll(s as never);
    s.write(Buffer.from("ab"));
    s.emit("aborted");
    await expect(whole).rejects.toThrow(/closed the connection/);
  });
});
