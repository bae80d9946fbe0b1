import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../../../src/metrics";
import { combineMetrics, noopMetrics } from "../../../src/metrics";
import { boundedLabel, createPrometheusMetrics } from "../../../src/runtimes/node/metrics";
import { parsePrometheusText, total } from "./prom-text";

const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  requestId: "req_1",
  door: "chat.completions",
  method: "POST",
  traceparent: null,
  status: "ok",
  httpStatus: 200,
  errorType: null,
  errorCode: null,
  model: "claude-sonnet-4-5",
  servedModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  region: "us-east-1",
  team: "platform",
  stream: false,
  attempts: 1,
  startedAt: 0,
  durationMs: 1200,
  ttftMs: null,
  tokens: { input: 100, output: 20, cacheRead: 5, cacheWrite: 0 },
  costMicros: 630,
  ...over,
});

async function scrapeText(m: ReturnType<typeof createPrometheusMetrics>, headers: Record<string, string> = {}) {
  const res = await m.scrape(new Request("http://gw/metrics", { headers }));
  return { res, text: await res.text() };
}

describe("Prometheus metrics", () => {
  it("counts requests, errors, tokens, cost, latency and streams in valid exposition format", async () => {
    const m = createPrometheusMetrics({ usageRowsQueued: () => 7 });
    for (let i = 0; i < 3; i++) m.requestStarted();
    m.streamOpened();
    m.requestEnded(record());
    m.requestEnded(record({ stream: true, ttftMs: 450, durationMs: 3000 }));
    m.requestEnded(
      record({ status: "error", httpStatus: 429, errorType: "rate_limit_error", errorCode: "rate_limit_exceeded", tokens: null, costMicros: null }),
    );
    m.upstreamAttempt("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "throttled", false);
    m.upstreamAttempt("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "ok", true);
    m.usageRowsWritten(3);

    const { res, text } = await scrapeText(m);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const f = parsePrometheusText(text);
    const door = { door: "chat.completions" };
    expect(total(f, "bedrock_gateway_requests_total", { ...door, model: "claude-sonnet-4-5", status: "ok", http_status: "200" })).toBe(2);
    expect(total(f, "bedrock_gateway_errors_total", { ...door, type: "rate_limit_error", code: "rate_limit_exceeded" })).toBe(1);
    expect(total(f, "bedrock_gateway_tokens_total", { model: "claude-sonnet-4-5", team: "platform", kind: "input" })).toBe(200);
    expect(total(f, "bedrock_gateway_tokens_total", { kind: "cache_read" })).toBe(10);
    expect(total(f, "bedrock_gateway_cost_micro_usd_total", { model: "claude-sonnet-4-5", team: "platform" })).toBe(1260);
    expect(total(f, "bedrock_gateway_request_duration_seconds", { ...door }, "bedrock_gateway_request_duration_seconds_count")).toBe(3);
    expect(total(f, "bedrock_gateway_request_duration_seconds", { ...door, stream: "true" }, "bedrock_gateway_request_duration_seconds_sum")).toBe(3);
    expect(total(f, "bedrock_gateway_time_to_first_token_seconds", { ...door, le: "0.5" }, "bedrock_gateway_time_to_first_token_seconds_bucket")).toBe(1);
    expect(total(f, "bedrock_gateway_requests_in_flight")).toBe(0);
    expect(total(f, "bedrock_gateway_streams_open")).toBe(1);
    expect(total(f, "bedrock_gateway_upstream_attempts_total", { outcome: "throttled" })).toBe(1);
    expect(total(f, "bedrock_gateway_upstream_retries_total")).toBe(1);
    expect(total(f, "bedrock_gateway_usage_rows_queued")).toBe(7);
    expect(total(f, "bedrock_gateway_usage_rows_written_total")).toBe(3);
    expect(f.get("bedrock_gateway_request_duration_seconds")!.type).toBe("histogram");
  });

  it("labels nothing with a user, a key or a request id", async () => {
    const m = createPrometheusMetrics();
    m.requestStarted();
    m.requestEnded(record({ requestId: "req_secretish" }));
    const labels = new Set<string>();
    for (const fam of parsePrometheusText((await scrapeText(m)).text).values())
      for (const s of fam.samples) for (const l of Object.keys(s.labels)) labels.add(l);
    const allowed = new Set(["code", "door", "http_status", "kind", "le", "model", "outcome", "status", "stream", "target", "team", "type"]);
    expect([...labels].filter((l) => !allowed.has(l))).toEqual([]);
  });

  it("leaves unresolved model names out of the labels (a client can send any name)", async () => {
    const m = createPrometheusMetrics();
    m.requestEnded(record({ model: "made-up-<name>", servedModel: null, status: "error", httpStatus: 404, errorCode: "model_not_found", tokens: null }));
    const f = parsePrometheusText((await scrapeText(m)).text);
    expect(total(f, "bedrock_gateway_requests_total", { model: "", http_status: "404" })).toBe(1);
  });

  it.each<[string, Record<string, string>, number]>([
    ["no header", {}, 401],
    ["a wrong token", { authorization: "Bearer nope" }, 401],
    ["a token that only starts right", { authorization: "Bearer s3cret-scrape-extra" }, 401],
    ["the token", { authorization: "Bearer s3cret-scrape" }, 200],
  ])("METRICS_TOKEN: %s answers %i", async (_name, headers, status) => {
    const m = createPrometheusMetrics({ token: "s3cret-scrape" });
    const { res } = await scrapeText(m, headers);
    expect(res.status).toBe(status);
    if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("escapes label values as the format requires", async () => {
    const m = createPrometheusMetrics();
    m.requestEnded(record({ team: 'a"b\\c\nd' }));
    const f = parsePrometheusText((await scrapeText(m)).text);
    expect(total(f, "bedrock_gateway_cost_micro_usd_total", { team: 'a"b\\c\nd' })).toBe(630);
  });
});

describe("boundedLabel", () => {
  it("keeps the first values and folds later new ones into other", () => {
    const b = boundedLabel(2);
    expect(["a", "b", "c", "a", "d", "b"].map(b)).toEqual(["a", "b", "other", "a", "other", "b"]);
  });
});

describe("combineMetrics", () => {
  it("hands every call to each implementation and scrapes with the one that exposes", async () => {
    const calls: string[] = [];
    const spy = { ...noopMetrics, requestEnded: () => void calls.push("ended"), upstreamAttempt: (t: string) => void calls.push(`attempt ${t}`) };
    const prom = createPrometheusMetrics();
    const both = combineMetrics(spy, prom);
    both.requestStarted();
    both.requestEnded(record());
    both.upstreamAttempt("t1", "ok", false);
    expect(calls).toEqual(["ended", "attempt t1"]);
    const res = await both.scrape!(new Request("http://gw/metrics"));
    expect(total(parsePrometheusText(await res.text()), "bedrock_gateway_requests_total")).toBe(1);
  });
});

describe("the test's exposition reader", () => {
  it.each([
    ["a sample without TYPE", "x 1\n"],
    ["a bad metric name", "# TYPE 1x counter\n1x 1\n"],
    ["an unquoted label value", "# TYPE x counter\nx{a=b} 1\n"],
    ["a bad escape", '# TYPE x counter\nx{a="\\t"} 1\n'],
    ["a bad value", "# TYPE x counter\nx one\n"],
    ["no final line feed", "# TYPE x counter\nx 1"],
    ["a histogram whose count differs from +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ["a histogram without +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
  ])("rejects %s", (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
