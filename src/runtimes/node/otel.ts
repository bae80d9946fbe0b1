/**
 * OpenTelemetry traces for Node and Bun: one span per request, exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. The SDK is loaded with import() only then, so a gateway without it loads
 * none of it. The exporter reads the other OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, the
 * traces-only endpoint), following https://opentelemetry.io/docs/specs/otel/protocol/exporter/.
 *
 * Requests that reached a door follow the GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): a CLIENT span named
 * `{gen_ai.operation.name} {gen_ai.request.model}` with the provider, the models and the token counts. Other
 * requests (health, 404, 401) get a SERVER span named by their method, as HTTP server spans without a route are.
 * No key, user or prompt text is recorded.
 */
import type { Logger } from "../../logger";
import type { Metrics, RequestRecord } from "../../metrics";

export type OtelMetrics = Metrics & {
  /** Exports what is buffered (at shutdown, and in tests). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

/** Bedrock is `aws.bedrock` in the GenAI conventions' provider list. */
const PROVIDER = "aws.bedrock";

/** `gen_ai.operation.name` of each door. */
export function operationOf(door: string): string {
  if (door === "embeddings") return "embeddings";
  if (door === "responses" || door === "chat.completions" || door === "messages" || door.startsWith("bedrock.")) return "chat";
  return door;
}

/** The span's name and attributes for one finished request. Pure. */
export function spanOf(r: RequestRecord): { name: string; kind: "client" | "server"; attributes: Record<string, string | number | boolean> } {
  const attributes: Record<string, string | number | boolean> = {
    "http.request.method": r.method,
    "http.response.status_code": r.httpStatus,
    "bedrock_gateway.request_id": r.requestId,
    "bedrock_gateway.status": r.status,
  };
  if (r.errorCode) attributes["error.type"] = r.errorCode;
  if (r.door === null) return { name: r.method, kind: "server", attributes };

  const operation = operationOf(r.door);
  Object.assign(attributes, {
    "gen_ai.operation.name": operation,
    // Both names: gen_ai.system (conventions up to v1.36) and its successor gen_ai.provider.name.
    "gen_ai.system": PROVIDER,
    "gen_ai.provider.name": PROVIDER,
    "bedrock_gateway.door": r.door,
    "bedrock_gateway.stream": r.stream,
    "bedrock_gateway.attempts": r.attempts,
  });
  if (r.model !== null) attributes["gen_ai.request.model"] = r.model;
  if (r.servedModel !== null) attributes["gen_ai.response.model"] = r.servedModel;
  if (r.region !== null) attributes["cloud.region"] = r.region;
  if (r.tokens) {
    attributes["gen_ai.usage.input_tokens"] = r.tokens.input + r.tokens.cacheRead + r.tokens.cacheWrite;
    attributes["gen_ai.usage.output_tokens"] = r.tokens.output;
    if (r.tokens.cacheRead) attributes["gen_ai.usage.cache_read.input_tokens"] = r.tokens.cacheRead;
    if (r.tokens.cacheWrite) attributes["gen_ai.usage.cache_creation.input_tokens"] = r.tokens.cacheWrite;
  }
  if (r.ttftMs !== null) attributes["bedrock_gateway.ttft_ms"] = r.ttftMs;
  if (r.costMicros !== null) attributes["bedrock_gateway.cost_micro_usd"] = r.costMicros;
  return { name: r.model !== null ? `${operation} ${r.model}` : operation, kind: "client", attributes };
}

/**
 * Loads the SDK and returns a Metrics implementation that records spans, or null when OTEL_EXPORTER_OTLP_ENDPOINT
 * (or its traces-only form) is not set.
 */
export async function createOtelTracing(env: Record<string, string | undefined>, logger: Logger): Promise<OtelMetrics | null> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return null;
  const [api, core, sdk, exporterModule, resources] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/core"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const exporter = new exporterModule.OTLPTraceExporter();
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME?.trim() || "bedrock-gateway" }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("bedrock-gateway");
  const propagator = new core.W3CTraceContextPropagator();
  logger.info("opentelemetry: exporting a span per request over OTLP/HTTP", { endpoint });

  const noop = () => {};
  return {
    requestStarted: noop,
    streamOpened: noop,
    streamClosed: noop,
    upstreamAttempt: noop,
    requestEnded(r) {
      const { name, kind, attributes } = spanOf(r);
      // A caller that sent W3C trace context gets the gateway's span inside its own trace.
      const parent = r.traceparent ? propagator.extract(api.ROOT_CONTEXT, { traceparent: r.traceparent }, api.defaultTextMapGetter) : api.ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: kind === "client" ? api.SpanKind.CLIENT : api.SpanKind.SERVER, startTime: r.startedAt, attributes }, parent);
      if (r.status !== "ok") span.setStatus({ code: api.SpanStatusCode.ERROR, message: r.errorCode ?? undefined });
      span.end(r.startedAt + r.durationMs);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
