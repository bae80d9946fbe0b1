/**
 * OpenTelemetry: the gateway as a real process (Node and Bun) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
 * local HTTP server that takes OTLP/HTTP JSON exports, as a collector does. Each request arrives as one span with
 * the GenAI attributes, inside the caller's trace when it sent a traceparent; nothing secret is exported.
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, SIM_CREDENTIALS, type Simulator } from "../../../sim/server";
import { createKey } from "../../../src/db/keys";
import { randomId, systemClock } from "../../../src/deps";
import { openTestPostgres, testDatabaseUrl } from "../../support/db";
import { ROOT, startGatewayProcess, type GatewayProcess, type Runtime } from "../../support/gateway-process";

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
};
type Export = { path: string; contentType: string; body: string; resource: Record<string, unknown>; spans: OtlpSpan[] };

const PROMPT = "cerulean-okapi-5530";
// https://www.w3.org/TR/trace-context/#traceparent-header
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
};

let sim: Simulator;
let tdb: Awaited<ReturnType<typeof openTestPostgres>>;
let collector: Server;
let collectorUrl: string;
const exports: Export[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  sim = await startSimulator({ port: 0 });
  tdb = await openTestPostgres();
  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const parsed = JSON.parse(body) as {
        resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of parsed.resourceSpans) {
        const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
        exports.push({ path: req.url ?? "", contentType: String(req.headers["content-type"]), body, resource, spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  const a = collector.address();
  collectorUrl = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
});
afterAll(async () => {
  await new Promise((r) => collector?.close(r));
  await tdb?.close();
  await sim?.close();
});

describe.each<Runtime>(["node", "bun"])("%s gateway with OTEL_EXPORTER_OTLP_ENDPOINT", (runtime) => {
  let gw: GatewayProcess;
  let key: { id: string; key: string };
  const serviceName = `bgw-otel-${runtime}-${randomId(6)}`;

  beforeAll(async () => {
    key = await createKey(tdb.db, { user: `otel-${runtime}-${randomId(6).toLowerCase()}@test.local` }, systemClock);
    gw = await startGatewayProcess(runtime, {
      DATABASE_URL: testDatabaseUrl(),
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
      AWS_ENDPOINT_URL_BEDROCK: sim.url,
      AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      LOG_LEVEL: "warn",
      MIGRATE_ON_START: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_SERVICE_NAME: serviceName,
      // The batch processor's delay, shortened so the test need not wait its default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  });
  afterAll(async () => {
    await gw?.stop("SIGKILL");
  });

  const ours = () => exports.filter((e) => e.resource["service.name"] === serviceName);
  const spanOf = (requestId: string | null) => ours().flatMap((e) => e.spans.filter((s) => attr(s, "bedrock_gateway.request_id") === requestId));
  async function waitForSpan(requestId: string | null): Promise<OtlpSpan> {
    for (let i = 0; i < 100 && spanOf(requestId).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const spans = spanOf(requestId);
    expect(spans, `span of ${requestId}`).toHaveLength(1);
    return spans[0]!;
  }

  it("exports one GenAI span per request, joined to the caller's trace", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json", traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      body: JSON.stringify({ model: "nova-lite", stream: true, messages: [{ role: "user", content: PROMPT }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const span = await waitForSpan(res.headers.get("x-request-id"));
    expect(span.name).toBe("chat nova-lite");
    expect(span.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_ID);
    expect(attr(span, "gen_ai.system")).toBe("aws.bedrock");
    expect(attr(span, "gen_ai.operation.name")).toBe("chat");
    expect(attr(span, "gen_ai.request.model")).toBe("nova-lite");
    expect(attr(span, "gen_ai.response.model")).toBe("us.amazon.nova-lite-v1:0");
    expect(attr(span, "gen_ai.usage.input_tokens")).toBeGreaterThan(0);
    expect(attr(span, "gen_ai.usage.output_tokens")).toBeGreaterThan(0);
    expect(BigInt(span.endTimeUnixNano)).toBeGreaterThan(BigInt(span.startTimeUnixNano));
    const exp = ours()[0]!;
    expect(exp.path).toBe("/v1/traces");
    expect(exp.contentType).toMatch(/^application\/json/);
  });

  it("marks failed requests and exports no key, user or prompt", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: PROMPT }] }),
    });
    expect(res.status).toBe(404);
    const span = await waitForSpan(res.headers.get("x-request-id"));
    expect(span.status?.code).toBe(2); // STATUS_CODE_ERROR
    expect(attr(span, "error.type")).toBe("model_not_found");
    const text = ours()
      .map((e) => e.body)
      .join("");
    expect(text).not.toContain(key.key);
    expect(text).not.toContain("@test.local");
    expect(text).not.toContain(PROMPT);
  });
});
