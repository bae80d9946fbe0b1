/**
 * The Worker entry point in-process (on Node, postgres.js's Node build stands in for its workerd one): config
 * memoised with a generic 500 when invalid, a database client per request through the Hyperdrive binding,
 * usage rows written through ctx.waitUntil, and the client ended once the response and its rows are done.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../../sim/server";
import { createKey, revokeKey } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { randomId, systemClock } from "../../../src/deps";
import worker from "../../../src/runtimes/workers";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";

let sim: Simulator;
let tdb: Awaited<ReturnType<typeof openTestPostgres>>;
let key: { id: string; key: string };
const appName = `bgw-worker-test-${randomId(8)}`;

function workerEnv(extra: Record<string, unknown> = {}) {
  const url = new URL(testDatabaseUrl());
  url.searchParams.set("application_name", appName);
  return {
    HYPERDRIVE: { connectionString: url.toString() },
    // Must not be used while a binding exists.
    DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
    AWS_ENDPOINT_URL_BEDROCK: sim.url,
    AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: "silent",
    ...extra,
  };
}

function executionContext() {
  const promises: Promise<unknown>[] = [];
  return {
    ctx: { waitUntil: (p: Promise<unknown>) => void promises.push(p), passThroughOnException() {} },
    async settled() {
      for (let i = 0; i < promises.length; i++) await promises[i];
    },
  };
}

function chat(body: object): Request {
  return new Request("http://worker/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hello" }], ...body }),
  });
}

async function connectionsOpen(): Promise<number> {
  const rows = await tdb.sql`select count(*)::int as n from pg_stat_activity where application_name = ${appName}`;
  return rows[0]!.n as number;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  tdb = await openTestPostgres();
  key = await createKey(tdb.db, { user: `worker-${randomId(6)}@test.local` }, systemClock);
});

afterAll(async () => {
  if (key) await revokeKey(tdb.db, key.id, systemClock).catch(() => {});
  await tdb?.close();
  await sim?.close();
});

describe("Workers entry point", () => {
  it("answers a generic OpenAI-shaped 500 when the configuration is invalid", async () => {
    const { ctx } = executionContext();
    const res = await worker.fetch(new Request("http://worker/healthz"), workerEnv({ AWS_REGION: "nowhere" }), ctx);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { type: "server_error" } });
    expect(text).not.toMatch(/AWS_REGION|region/);
  });

  it("answers a generic 500 without a database binding or URL", async () => {
    const { ctx } = executionContext();
    const env = workerEnv();
    delete (env as Record<string, unknown>).HYPERDRIVE;
    delete (env as Record<string, unknown>).DATABASE_URL;
    const res = await worker.fetch(new Request("http://worker/healthz"), env, ctx);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { type: "server_error" } });
  });

  it("serves through the Hyperdrive binding, writes the usage row after the response and ends the client", async () => {
    const env = workerEnv();
    const { ctx, settled } = executionContext();
    const res = await worker.fetch(chat({}), env, ctx);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    await settled();
    const rows = await tdb.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id));
    expect(rows.some((r) => r.stream === false && r.status === "ok")).toBe(true);
    expect(await connectionsOpen()).toBe(0);
  });

  it("keeps the client open until a stream has ended and its usage row is written", async () => {
    const env = workerEnv();
    const { ctx, settled } = executionContext();
    const res = await worker.fetch(chat({ stream: true, messages: [{ role: "user", content: "[sim:words=30] [sim:delay=20]" }] }), env, ctx);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toContain("data: [DONE]");
    await settled();
    const rows = await tdb.db.select().from(usageEvents).where(eq(usageEvents.keyId, key.id));
    expect(rows.some((r) => r.stream === true && r.status === "ok")).toBe(true);
    expect(await connectionsOpen()).toBe(0);
  });

  it("checks readiness against the database", async () => {
    const { ctx, settled } = executionContext();
    const res = await worker.fetch(new Request("http://worker/readyz"), workerEnv(), ctx);
    expect(await res.json()).toEqual({ status: "ok", database: "ok" });
    await settled();
  });
});
