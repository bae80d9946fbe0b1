/** The app in-process (app.request) on real Postgres and on PGlite, with the simulator as Bedrock. */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../sim/server";
import { createApp } from "../../src/app";
import { createBedrockClient } from "../../src/bedrock/client";
import { staticCatalogue } from "../../src/models/catalogue";
import { fixedCatalogue } from "../../src/models/source";
import { parseConfig } from "../../src/config";
import { createKey } from "../../src/db/keys";
import { usageEvents } from "../../src/db/schema";
import { randomIds, systemClock, type Deps } from "../../src/deps";
import { createLogger } from "../../src/logger";
import { createReasoningStore } from "../../src/reasoning-store";
import { randomEmail, testBackends, type TestDb } from "../support/db";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
afterAll(async () => sim.close());

describe.each(testBackends)("gateway in-process on $name", ({ open }) => {
  let t: TestDb;
  let deps: Deps;
  let app: ReturnType<typeof createApp>;
  const logs: string[] = [];
  const pending = new Set<Promise<unknown>>();

  beforeAll(async () => {
    t = await open();
    const config = parseConfig({ MAX_BODY_BYTES: "65536", LOG_LEVEL: "debug", CORS_ALLOW_ORIGINS: "https://app.example" });
    const logger = createLogger("debug", (line) => logs.push(line));
    deps = {
      config,
      db: t.db,
      bedrock: createBedrockClient({
        region: "us-east-1",
        runtimeEndpoint: sim.url,
        controlEndpoint: sim.url,
        credentials: async () => SIM_CREDENTIALS,
        fetch: globalThis.fetch,
        logger,
        timeoutMs: 5000,
        idleTimeoutMs: 5000,
        retries: 1,
        backoffMs: () => 1,
      }),
      catalogue: fixedCatalogue(staticCatalogue()),
      clock: systemClock,
      ids: randomIds,
      waitUntil: (p) => {
        const tracked: Promise<unknown> = p.finally(() => pending.delete(tracked));
        pending.add(tracked);
      },
      logger,
      reasoningStore: createReasoningStore(),
    };
    app = createApp(deps);
  });
  afterAll(async () => t.close());

  const settle = async () => {
    while (pending.size) await Promise.allSettled([...pending]);
  };
  const newKey = () => createKey(t.db, { user: randomEmail("app"), actor: "test" }, systemClock);
  const post = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("writes exactly one usage row per request id under concurrency, whatever the outcome", async () => {
    const { key, id } = await newKey();
    const bodies = Array.from({ length: 60 }, (_, i) => {
      const kind = i % 4;
      if (kind === 0) return { model: "nova-lite", messages: [{ role: "user", content: `plain ${i}` }] };
      if (kind === 1) return { model: "nova-lite", stream: true, messages: [{ role: "user", content: `stream ${i}` }] };
      if (kind === 2) return { model: "nova-lite", messages: [{ role: "user", content: "[sim:error=ValidationException]" }] };
      return { model: "nova-lite", n: 3, messages: [{ role: "user", content: "x" }] };
    });
    const responses = await Promise.all(bodies.map((b) => post(key, b)));
    await Promise.all(responses.map((r) => r.text()));
    await settle();
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    expect(new Set(ids).size).toBe(60);
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, id));
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((r) => r.requestId))).toEqual(new Set(ids));
    expect(rows.filter((r) => r.status === "ok")).toHaveLength(30);
    expect(rows.filter((r) => r.httpStatus === 400)).toHaveLength(30);
  });

  it("keeps a well-formed inbound x-request-id", async () => {
    const { key } = await newKey();
    const res = await post(key, { model: "nova-lite", messages: [{ role: "user", content: "hi" }] }, { "x-request-id": "trace-1234567890" });
    expect(res.headers.get("x-request-id")).toBe("trace-1234567890");
  });

  it("answers 413 for a body over the limit before parsing it", async () => {
    const { key } = await newKey();
    const res = await post(key, { model: "nova-lite", messages: [{ role: "user", content: "x".repeat(70_000) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
  });

  it("never writes keys or prompts to the logs", async () => {
    const { key } = await newKey();
    const canary = `canary-${Math.random().toString(36).slice(2)}`;
    await (await post(key, { model: "nova-lite", messages: [{ role: "user", content: canary }] })).text();
    await (
      await post(key, { model: "nova-lite", stream: true, messages: [{ role: "user", content: `${canary} [sim:stream-error-after=1:throttlingException]` }] })
    ).text();
    await (await post(key, { model: "nova-lite", messages: [{ role: "user", content: `${canary} [sim:error=InternalServerException]` }] })).text();
    await (await post(`${key}x`, { model: "nova-lite", messages: [{ role: "user", content: canary }] })).text();
    await settle();
    const all = logs.join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(canary);
    expect(all).not.toContain(key);
  });

  it("answers CORS preflights for allowed origins without a key", async () => {
    const res = await app.request("/v1/chat/completions", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-stainless-os",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-headers")).toContain("x-stainless-os");
    const other = await app.request("/v1/models", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("logs one access line per request with the key id, never the key", async () => {
    const { key, id } = await newKey();
    await (await post(key, { model: "nova-lite", messages: [{ role: "user", content: "hi" }] })).text();
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.keyId === id);
    expect(line).toMatchObject({ method: "POST", path: "/v1/chat/completions", status: "ok", httpStatus: 200, model: "nova-lite" });
  });

  it("answers the OpenAI error shape for unknown routes and health without a key", async () => {
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(200);
    const res = await app.request("/v1/nothing-here", { headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(401);
    const nf = await app.request("/nothing");
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as any).error).toMatchObject({ type: "invalid_request_error", param: null });
  });
});
