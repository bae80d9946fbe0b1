/**
 * Prometheus metrics for Node and Bun (prom-client runs on both), served on GET /metrics in the text exposition
 * format. Labels are doors, models, teams, status and error codes and Bedrock targets: never a key, a user or
 * text from a request. Model and team names come from configuration or callers, so each label keeps at most
 * `maxLabelValues` distinct values and folds the rest into `other`, bounding the series a scrape returns.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import client from "prom-client";
import type { Config } from "../../config";
import type { Logger } from "../../logger";
import { combineMetrics, type Metrics, type RequestRecord, type UpstreamOutcome } from "../../metrics";
import { createOtelTracing } from "./otel";

export type PrometheusMetrics = Metrics & {
  scrape(request: Request): Promise<Response>;
  /** Rows the usage writer has stored (counted where it inserts them). */
  usageRowsWritten(count: number): void;
  registry: client.Registry;
};

export type PrometheusOptions = {
  /** When set, a scrape must send `Authorization: Bearer <token>` (METRICS_TOKEN). */
  token?: string;
  /** Rows waiting for the database (the batch writer's queue), read at each scrape. */
  usageRowsQueued?: () => number;
  /** Distinct values kept per label before the rest is reported as `other`. */
  maxLabelValues?: number;
  /** Process and runtime metrics (CPU, memory, event-loop lag, GC), as prom-client collects them. */
  processMetrics?: boolean;
};

const PREFIX = "bedrock_gateway_";
// Seconds. A chat request runs from tens of milliseconds (a refusal) to minutes (a long stream).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export function createPrometheusMetrics(opts: PrometheusOptions = {}): PrometheusMetrics {
  const registry = new client.Registry();
  const registers = [registry];
  if (opts.processMetrics) client.collectDefaultMetrics({ register: registry });
  const limit = opts.maxLabelValues ?? 200;
  const model = boundedLabel(limit);
  const team = boundedLabel(limit);
  const target = boundedLabel(limit);

  const requests = new client.Counter({
    name: `${PREFIX}requests_total`,
    help: "Finished requests by door (none: health, 404, 401), model, outcome and HTTP status.",
    labelNames: ["door", "model", "status", "http_status"],
    registers,
  });
  const errors = new client.Counter({
    name: `${PREFIX}errors_total`,
    help: "Requests that ended in an error, by door, error type and code.",
    labelNames: ["door", "type", "code"],
    registers,
  });
  const duration = new client.Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: "Time from a request's arrival to its last byte (a stream's whole duration).",
    labelNames: ["door", "stream"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const ttft = new client.Histogram({
    name: `${PREFIX}time_to_first_token_seconds`,
    help: "Time from a streamed request's arrival to its first content.",
    labelNames: ["door", "model"],
    buckets: TTFT_BUCKETS,
    registers,
  });
  const tokens = new client.Counter({
    name: `${PREFIX}tokens_total`,
    help: "Tokens metered, by model, team and kind (input, output, cache_read, cache_write).",
    labelNames: ["model", "team", "kind"],
    registers,
  });
  const cost = new client.Counter({
    name: `${PREFIX}cost_micro_usd_total`,
    help: "Cost of the requests, in micro-dollars (1e-6 USD), by model and team.",
    labelNames: ["model", "team"],
    registers,
  });
  const inFlight = new client.Gauge({ name: `${PREFIX}requests_in_flight`, help: "Requests being served, open streams included.", registers });
  const streams = new client.Gauge({ name: `${PREFIX}streams_open`, help: "Response streams being sent.", registers });
  const attempts = new client.Counter({
    name: `${PREFIX}upstream_attempts_total`,
    help: "Calls to Bedrock targets, by target and outcome.",
    labelNames: ["target", "outcome"],
    registers,
  });
  const retries = new client.Counter({
    name: `${PREFIX}upstream_retries_total`,
    help: "Calls to Bedrock targets after a request's first attempt (retries and fallbacks), by target.",
    labelNames: ["target"],
    registers,
  });
  const rowsWritten = new client.Counter({ name: `${PREFIX}usage_rows_written_total`, help: "Usage rows stored in the database.", registers });
  if (opts.usageRowsQueued) {
    const queued = opts.usageRowsQueued;
    new client.Gauge({
      name: `${PREFIX}usage_rows_queued`,
      help: "Usage rows waiting to be written (they accumulate while the database is unreachable).",
      registers,
      collect() {
        this.set(queued());
      },
    });
  }

  const expected = opts.token ? digest(`Bearer ${opts.token}`) : null;

  return {
    registry,
    requestStarted: () => inFlight.inc(),
    requestEnded(r: RequestRecord) {
      inFlight.dec();
      const door = r.door ?? "none";
      // The client's name for the model, once the gateway resolved it: unresolved names are not series.
      const m = r.servedModel !== null && r.model !== null ? model(r.model) : "";
      requests.inc({ door, model: m, status: r.status, http_status: String(r.httpStatus) });
      if (r.status !== "ok") errors.inc({ door, type: r.errorType ?? "", code: r.errorCode ?? "" });
      duration.observe({ door, stream: String(r.stream) }, r.durationMs / 1000);
      if (r.ttftMs !== null) ttft.observe({ door, model: m }, r.ttftMs / 1000);
      const t = team(r.team ?? "");
      if (r.tokens) {
        if (r.tokens.input) tokens.inc({ model: m, team: t, kind: "input" }, r.tokens.input);
        if (r.tokens.output) tokens.inc({ model: m, team: t, kind: "output" }, r.tokens.output);
        if (r.tokens.cacheRead) tokens.inc({ model: m, team: t, kind: "cache_read" }, r.tokens.cacheRead);
        if (r.tokens.cacheWrite) tokens.inc({ model: m, team: t, kind: "cache_write" }, r.tokens.cacheWrite);
      }
      if (r.costMicros) cost.inc({ model: m, team: t }, r.costMicros);
    },
    streamOpened: () => streams.inc(),
    streamClosed: () => streams.dec(),
    upstreamAttempt(name: string, outcome: UpstreamOutcome, retry: boolean) {
      const tg = target(name);
      attempts.inc({ target: tg, outcome });
      if (retry) retries.inc({ target: tg });
    },
    usageRowsWritten: (count) => rowsWritten.inc(count),
    async scrape(request: Request): Promise<Response> {
      if (expected) {
        const given = digest(request.headers.get("authorization") ?? "");
        if (!timingSafeEqual(given, expected)) {
          return new Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="metrics"', "content-type": "text/plain; charset=utf-8" },
          });
        }
      }
      return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
    },
  };
}

/** Fixed-length digests, so comparing them takes the same time whatever the header's length. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Maps label values to themselves until `max` distinct ones were seen, then new ones to `other`. */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return "other";
    seen.add(value);
    return value;
  };
}

/** What Node and Bun record for operators, as configured: Prometheus (METRICS_ENABLED) and OpenTelemetry spans. */
export type Observability = {
  metrics: Metrics | undefined;
  usageRowsWritten(count: number): void;
  /** Exports buffered spans; run before the process exits. */
  shutdown(): Promise<void>;
};

export async function createObservability(
  config: Pick<Config, "METRICS_ENABLED" | "METRICS_TOKEN" | "OTEL_EXPORTER_OTLP_ENDPOINT">,
  env: Record<string, string | undefined>,
  logger: Logger,
  opts: { usageRowsQueued?: () => number } = {},
): Promise<Observability> {
  const prometheus = config.METRICS_ENABLED
    ? createPrometheusMetrics({ token: config.METRICS_TOKEN, usageRowsQueued: opts.usageRowsQueued, processMetrics: true })
    : null;
  // The validated endpoint wins over the raw variable, so a bad value has already stopped the start.
  const otel = await createOtelTracing({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: config.OTEL_EXPORTER_OTLP_ENDPOINT }, logger);
  const all = [prometheus, otel].filter((m): m is NonNullable<typeof m> => m !== null);
  return {
    metrics: all.length > 0 ? combineMetrics(...all) : undefined,
    usageRowsWritten: (count) => prometheus?.usageRowsWritten(count),
    shutdown: async () => {
      await otel?.shutdown().catch((err: unknown) => logger.warn("opentelemetry: final export failed", { error: String(err) }));
    },
  };
}
