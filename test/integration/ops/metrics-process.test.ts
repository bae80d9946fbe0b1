/**
 * GET /metrics scraped from the gateway as a real process (node dist/node.js, and Bun) after a few requests,
 * parsed line by line as Prometheus's text format: the counters match the traffic, no key, user or prompt
 * appears, METRICS_TOKEN guards the route and METRICS_ENABLED=false removes it.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, SIM_CREDENTIALS, type Simulator } from "../../../sim/server";
import { createKey } from "../../../src/db/keys";
import { randomId, systemClock } from "../../../src/deps";
import { openTestPostgres, randomTeam, testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess, type Runtime } from "../../support/gateway-process";
import { parsePrometheusText, total, type Family } from "../../unit/metrics/prom-text";

const PROMPT = "ultramarine-pangolin-2291";

let sim: Simulator;
let tdb: Awaited<ReturnType<typeof openTestPostgres>>;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  sim = await startSimulator({ port: 0 });
  tdb = await openTestPostgres();
});
afterAll(async () => {
  await tdb?.close();
  await sim?.close();
});

const gatewayEnv = (extra: Record<string, string>) => ({
  DATABASE_URL: testDatabaseUrl(),
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
  AWS_ENDPOINT_URL_BEDROCK: sim.url,
  AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
  AWS_REGION: "us-east-1",
  LOG_LEVEL: "warn",
  MIGRATE_ON_START: "false",
  ...extra,
});

describe.each<[Runtime, string | null]>([
  ["node", "scrape-token-1234"],
  ["bun", null],
])("%s gateway /metrics", (runtime, token) => {
  let gw: GatewayProcess;
  let key: { id: string; key: string };
  const team = randomTeam();

  beforeAll(async () => {
    key = await createKey(tdb.db, { user: `metrics-${runtime}-${randomId(6).toLowerCase()}@test.local`, team }, systemClock);
    gw = await startGatewayProcess(runtime, gatewayEnv(token ? { METRICS_TOKEN: token } : {}));
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  const chat = (body: Record<string, unknown>, auth = key.key) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "nova-lite", messages: [{ role: "user", content: PROMPT }], ...body }),
    });
  const scrape = async (): Promise<{ text: string; families: Map<string, Family> }> => {
    const res = await fetch(`${gw.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, families: parsePrometheusText(text) };
  };

  it("counts requests, errors, tokens, cost, latency and usage rows", async () => {
    const responses = await Promise.all([
      chat({}),
      chat({}),
      chat({ stream: true }),
      chat({ model: "no-such-model" }),
      chat({}, "bgw_live_notakeynotakeynotakeynotakeynota1"),
      fetch(`${gw.url}/healthz`),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 404, 401, 200]);
    await Promise.all(responses.map((r) => r.text()));

    // Usage rows are written off the response path, within a batch delay.
    let scraped = await scrape();
    for (let i = 0; i < 50 && total(scraped.families, "bedrock_gateway_usage_rows_written_total") < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      scraped = await scrape();
    }
    const f = scraped.families;
    const chatDoor = { door: "chat.completions" };
    expect(total(f, "bedrock_gateway_requests_total", { ...chatDoor, model: "nova-lite", status: "ok", http_status: "200" })).toBe(3);
    expect(total(f, "bedrock_gateway_requests_total", { ...chatDoor, model: "", http_status: "404" })).toBe(1);
    expect(total(f, "bedrock_gateway_requests_total", { door: "none", http_status: "401" })).toBe(1);
    expect(total(f, "bedrock_gateway_errors_total", { ...chatDoor, code: "model_not_found" })).toBe(1);
    expect(total(f, "bedrock_gateway_errors_total", { door: "none", code: "invalid_api_key" })).toBe(1);
    expect(total(f, "bedrock_gateway_tokens_total", { model: "nova-lite", team, kind: "input" })).toBeGreaterThan(0);
    expect(total(f, "bedrock_gateway_tokens_total", { model: "nova-lite", team, kind: "output" })).toBeGreaterThan(0);
    expect(total(f, "bedrock_gateway_cost_micro_usd_total", { model: "nova-lite", team })).toBeGreaterThan(0);
    expect(total(f, "bedrock_gateway_request_duration_seconds", { ...chatDoor }, "bedrock_gateway_request_duration_seconds_count")).toBe(4);
    expect(total(f, "bedrock_gateway_time_to_first_token_seconds", { ...chatDoor }, "bedrock_gateway_time_to_first_token_seconds_count")).toBe(1);
    expect(total(f, "bedrock_gateway_streams_open")).toBe(0);
    // The scrape itself is the one request in flight.
    expect(total(f, "bedrock_gateway_requests_in_flight")).toBe(1);
    expect(total(f, "bedrock_gateway_usage_rows_written_total")).toBe(4);
    expect(total(f, "bedrock_gateway_usage_rows_queued")).toBe(0);
    // One call to the served target per request that reached Bedrock (the router reports each attempt).
    expect(total(f, "bedrock_gateway_upstream_attempts_total", { target: "us.amazon.nova-lite-v1:0", outcome: "ok" })).toBe(3);
    expect(f.has("process_cpu_seconds_total")).toBe(true);

    expect(scraped.text).not.toContain(key.key);
    expect(scraped.text).not.toContain(key.id);
    expect(scraped.text).not.toContain("@test.local");
    expect(scraped.text).not.toContain(PROMPT);
  });

  it(token ? "refuses a scrape without the METRICS_TOKEN" : "needs no credentials by default", async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(token ? 401 : 200);
    if (token) {
      expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(401);
    }
  });
});

describe("METRICS_ENABLED=false", () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGatewayProcess("node", gatewayEnv({ METRICS_ENABLED: "false" }));
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  it("has no /metrics route", async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });
});
