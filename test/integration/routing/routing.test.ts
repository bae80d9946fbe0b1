/**
 * Routing against the simulator, in process: fallback to the next target, retries of the same one, what is never
 * retried, the timeouts before and after the first byte (with the upstream request cancelled), the circuit breaker,
 * and the usage row naming the target, region and attempt count, priced at the serving target's price.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import type { ModelRowInput } from "../../../src/models/catalogue";
import { createNodeFetch } from "../../../src/runtimes/node/http-fetch";
import { costMicros } from "../../../src/usage/cost";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createRoutingHarness } from "./harness";

const A = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const B = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const PRICE_A = { input: 1_000_000, output: 5_000_000 };
const PRICE_B = { input: 3_000_000, output: 15_000_000 };
const APP_PROFILE = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/simclaudesonnet45";
const TITAN = "amazon.titan-embed-text-v2:0";

const ROWS: ModelRowInput[] = [
  {
    alias: "routed",
    aliases: [],
    kind: "chat",
    targets: [
      { modelId: A, price: PRICE_A },
      { modelId: B, region: "us-west-2", price: PRICE_B },
    ],
    price: PRICE_A,
    longContext: null,
    capabilities: {},
    enabled: true,
  },
  {
    alias: "profiles",
    aliases: [],
    kind: "chat",
    targets: [{ modelId: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", region: "eu-west-1" }, { modelId: APP_PROFILE }],
    price: PRICE_A,
    longContext: null,
    capabilities: {},
    enabled: true,
  },
  {
    alias: "embed-routed",
    aliases: [],
    kind: "embedding",
    targets: [{ modelId: TITAN }, { modelId: TITAN, region: "us-west-2" }],
    price: { input: 20_000, output: 0 },
    longContext: null,
    capabilities: {},
    enabled: true,
  },
];

let sim: Simulator;
let t: TestDb;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, regions: ["us-west-2", "eu-west-1"] });
  t = await openTestPostgres();
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

type Harness = ReturnType<typeof createRoutingHarness>;
const harness = (env: Record<string, string> = {}, transport?: typeof globalThis.fetch) =>
  createRoutingHarness({ db: t.db, bedrockUrl: sim.url, rows: ROWS, env, fetch: transport });
const nonce = () => `n${Math.random().toString(36).slice(2, 10)}`;
const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content }], ...extra });

/** What reached the simulator for the request carrying this nonce: model id and signed region, in order. */
const upstream = (n: string) =>
  sim
    .requests()
    .filter((r) => JSON.stringify(r.body).includes(n))
    .map((r) => `${r.modelId}@${r.region}`);

async function rowOf(h: Harness, keyId: string) {
  await h.settle();
  const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, keyId));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Reads an SSE body to the end: the data payloads in order. */
async function sse(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((b) => b.startsWith("data: "))
    .map((b) => b.slice(6));
}

describe("fallback to the next target", () => {
  it("the second target serves after the first throttles, and the row names it, its region and price", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:error=ThrottlingException] [sim:when-model=${A}]`));
    expect(res.status).toBe(200);
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${B}@us-west-2`]);
    const row = await rowOf(h, k.id);
    expect(row).toMatchObject({ bedrockModelId: B, targetRegion: "us-west-2", attempts: 2, status: "ok" });
    const usage = { inputTokens: row.inputTokens, outputTokens: row.outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(row.costMicros).toBe(costMicros(usage, { price: PRICE_B, longContext: null }));
    expect(row.costMicros).not.toBe(costMicros(usage, { price: PRICE_A, longContext: null }));
    expect(row.price).toMatchObject({ input: PRICE_B.input, output: PRICE_B.output });
    expect(h.attempts).toEqual([
      { target: A, outcome: "throttled", retry: false },
      { target: `${B}@us-west-2`, outcome: "ok", retry: true },
    ]);
  });

  it("streamed: the second target serves after the first throttles, before any byte reached the client", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:error=ThrottlingException] [sim:when-model=${A}]`, { stream: true }));
    expect(res.status).toBe(200);
    const events = await sse(res);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.some((e) => e.includes('"error"'))).toBe(false);
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${B}@us-west-2`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: B, targetRegion: "us-west-2", attempts: 2, status: "ok", stream: true });
  });

  it("streamed: an exception Bedrock sends before any content falls back too", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post(
      "/v1/chat/completions",
      k.key,
      chat("routed", `${n} [sim:stream-error-after=0:throttlingException] [sim:when-model=${A}]`, { stream: true }),
    );
    expect(res.status).toBe(200);
    expect((await sse(res)).at(-1)).toBe("[DONE]");
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${B}@us-west-2`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: B, attempts: 2, status: "ok" });
  });

  it("every target throttled: 429 after the attempt limit, the row names the last one tried", async () => {
    const h = harness({ UPSTREAM_RETRIES: "2" });
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:error=ThrottlingException]`));
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${B}@us-west-2`, `${A}@us-east-1`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: A, targetRegion: "us-east-1", attempts: 3, status: "error", httpStatus: 429 });
  });

  it("cross-region and application inference profiles are targets, each signed for its region", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("profiles", `${n} [sim:error=ServiceUnavailableException] [sim:when-region=eu-west-1]`));
    // Both targets are in eu-west-1 (the ARN names its region): the 503 is retried once on each, then given up.
    expect(res.status).toBe(503);
    expect(upstream(n)).toEqual([
      "eu.anthropic.claude-sonnet-4-5-20250929-v1:0@eu-west-1",
      "eu.anthropic.claude-sonnet-4-5-20250929-v1:0@eu-west-1",
      `${APP_PROFILE}@eu-west-1`,
    ]);
    const ok = await h.post(
      "/v1/chat/completions",
      k.key,
      chat("profiles", `${n}b [sim:error=ThrottlingException] [sim:when-model=eu.anthropic.claude-sonnet-4-5-20250929-v1:0]`),
    );
    expect(ok.status).toBe(200);
    expect(upstream(`${n}b`)).toEqual(["eu.anthropic.claude-sonnet-4-5-20250929-v1:0@eu-west-1", `${APP_PROFILE}@eu-west-1`]);
    const raw = sim.requests().find((r) => r.modelId === APP_PROFILE)!;
    expect(raw.path).toBe(`/model/${encodeURIComponent(APP_PROFILE)}/converse`);
  });

  it("embeddings fall back per input and record the serving region", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/embeddings", k.key, { model: "embed-routed", input: `${n} [sim:error=ThrottlingException] [sim:when-region=us-east-1]` });
    expect(res.status).toBe(200);
    expect(upstream(n)).toEqual([`${TITAN}@us-east-1`, `${TITAN}@us-west-2`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: TITAN, targetRegion: "us-west-2", attempts: 2, status: "ok" });
  });
});

describe("retries of the same target, and what is never retried", () => {
  it("a 5xx is retried once on the same target", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:fail-first=1:InternalServerException:${n}]`));
    expect(res.status).toBe(200);
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${A}@us-east-1`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: A, targetRegion: "us-east-1", attempts: 2 });
  });

  it("a 5xx that persists: once more on the same target, then the next", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post(
      "/v1/chat/completions",
      k.key,
      chat("routed", `${n} [sim:error=ServiceUnavailableException] [sim:when-model=${A}]`, { stream: true }),
    );
    expect(res.status).toBe(200);
    expect((await sse(res)).at(-1)).toBe("[DONE]");
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${A}@us-east-1`, `${B}@us-west-2`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: B, attempts: 3 });
  });

  it.each([
    ["ValidationException", 400],
    ["AccessDeniedException", 403],
    ["ModelErrorException", 502],
  ])("%s is not retried", async (name, status) => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:error=${name}]`));
    expect(res.status).toBe(status);
    expect(upstream(n)).toEqual([`${A}@us-east-1`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: A, attempts: 1, status: "error" });
  });

  it("nothing is retried once the stream has begun: the failure ends it with an error event", async () => {
    const h = harness();
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post(
      "/v1/chat/completions",
      k.key,
      chat("routed", `${n} [sim:stream-error-after=2:serviceUnavailableException] [sim:words=20]`, { stream: true }),
    );
    expect(res.status).toBe(200);
    const events = await sse(res);
    expect(events.some((e) => e.includes('"content"'))).toBe(true);
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ error: { code: "service_unavailable" } });
    expect(upstream(n)).toEqual([`${A}@us-east-1`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: A, attempts: 1, status: "error" });
  });
});

// Node's own keep-alive transport (src/runtimes/node/http-fetch.ts) must abort the upstream request as fetch does.
describe.each([
  ["fetch", () => globalThis.fetch],
  ["the Node transport", () => createNodeFetch()],
])("timeouts before the first byte over %s", (_, transport) => {
  it("no first byte in time: 504 upstream_timeout, and the simulator sees the request cancelled", async () => {
    const h = harness({ UPSTREAM_FIRST_BYTE_TIMEOUT_MS: "300", UPSTREAM_RETRIES: "0" }, transport());
    const k = await h.newKey();
    const cancelled = sim.stats().requestsCancelled;
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", "[sim:ttfb=3000] slow"));
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { type: "timeout_error", code: "upstream_timeout" } });
    await expect.poll(() => sim.stats().requestsCancelled, { timeout: 2000 }).toBeGreaterThan(cancelled);
    expect(await rowOf(h, k.id)).toMatchObject({ attempts: 1, httpStatus: 504, errorCode: "upstream_timeout" });
  });

  it("streamed, headers but no first event in time: 504 before any byte, the stream cancelled upstream", async () => {
    const h = harness({ UPSTREAM_FIRST_BYTE_TIMEOUT_MS: "300", UPSTREAM_RETRIES: "0" }, transport());
    const k = await h.newKey();
    const cancelled = sim.stats().streamsCancelled;
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", "[sim:first-frame-delay=3000] slow", { stream: true }));
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { type: "timeout_error", code: "upstream_timeout" } });
    await expect.poll(() => sim.stats().streamsCancelled, { timeout: 2000 }).toBeGreaterThan(cancelled);
  });

  it("streamed, not accepted within the connect limit: 504, the request cancelled upstream", async () => {
    const h = harness({ UPSTREAM_CONNECT_TIMEOUT_MS: "200", UPSTREAM_RETRIES: "0" }, transport());
    const k = await h.newKey();
    const cancelled = sim.stats().requestsCancelled;
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", "[sim:ttfb=3000] slow", { stream: true }));
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_timeout", message: "Bedrock did not accept the request within 200 ms." } });
    await expect.poll(() => sim.stats().requestsCancelled, { timeout: 2000 }).toBeGreaterThan(cancelled);
  });
});

describe("timeouts", () => {
  it("a timeout before the first byte is retried on the same target, then the next serves", async () => {
    const h = harness({ UPSTREAM_FIRST_BYTE_TIMEOUT_MS: "300" });
    const k = await h.newKey();
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:ttfb=3000] [sim:when-model=${A}]`));
    expect(res.status).toBe(200);
    expect(upstream(n)).toEqual([`${A}@us-east-1`, `${A}@us-east-1`, `${B}@us-west-2`]);
    expect(await rowOf(h, k.id)).toMatchObject({ bedrockModelId: B, attempts: 3 });
  });

  it("the total deadline bounds every attempt together", async () => {
    const h = harness({ UPSTREAM_TIMEOUT_MS: "500", UPSTREAM_FIRST_BYTE_TIMEOUT_MS: "400", UPSTREAM_RETRIES: "5" });
    const k = await h.newKey();
    const started = Date.now();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", "[sim:ttfb=3000] slow"));
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Bedrock did not answer within 500 ms \(\d attempts?\)\.$/);
  });

  it("silence mid-stream: an error event after the content already sent, the upstream cancelled", async () => {
    const h = harness({ STREAM_IDLE_TIMEOUT_MS: "300" });
    const k = await h.newKey();
    const n = nonce();
    const cancelled = sim.stats().streamsCancelled;
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", `${n} [sim:delay=1500] [sim:words=10]`, { stream: true }));
    expect(res.status).toBe(200);
    const events = await sse(res);
    expect(JSON.parse(events.at(-1)!)).toMatchObject({ error: { type: "timeout_error", code: "upstream_timeout" } });
    expect(events.some((e) => e.includes('"content"'))).toBe(true);
    await expect.poll(() => sim.stats().streamsCancelled, { timeout: 3000 }).toBeGreaterThan(cancelled);
    expect(upstream(n)).toHaveLength(1);
    expect(await rowOf(h, k.id)).toMatchObject({ attempts: 1, status: "error", errorCode: "upstream_timeout" });
  });
});

describe("circuit breaker", () => {
  it("after 5 consecutive failures the target is skipped; the next request goes straight to the next one", async () => {
    const h = harness({ UPSTREAM_RETRIES: "0" });
    const k = await h.newKey();
    for (let i = 0; i < 5; i++) {
      const res = await h.post("/v1/chat/completions", k.key, chat("routed", `[sim:error=InternalServerException] [sim:when-model=${A}] ${i}`));
      expect(res.status).toBe(500);
    }
    const n = nonce();
    const res = await h.post("/v1/chat/completions", k.key, chat("routed", n));
    expect(res.status).toBe(200);
    expect(upstream(n)).toEqual([`${B}@us-west-2`]);
    // Another instance (its own deps) has its own breakers.
    const other = harness();
    const m = nonce();
    expect((await other.post("/v1/chat/completions", k.key, chat("routed", m))).status).toBe(200);
    expect(upstream(m)).toEqual([`${A}@us-east-1`]);
  });
});
