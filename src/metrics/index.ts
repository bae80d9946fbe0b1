/**
 * What the core tells operators about, whatever exports it: Prometheus on Node and Bun, OpenTelemetry spans when
 * configured, nothing on Workers. The core only calls this interface; implementations live in `src/runtimes/`.
 * Nothing passed here may carry a key, a user or prompt text: labels are doors, models, teams, codes and targets.
 */

/** How a request ended, as the audit line and the usage row say it. */
export type RequestStatus = "ok" | "error" | "aborted";

/** One finished request: handed over once, when its response (or its stream) has ended. */
export type RequestRecord = {
  requestId: string;
  /** The door (`chat.completions`, `embeddings`…); null for requests that never reached one (health, 404, 401). */
  door: string | null;
  method: string;
  /** The request's traceparent header (W3C Trace Context), so spans can join the caller's trace. */
  traceparent: string | null;
  status: RequestStatus;
  httpStatus: number;
  errorType: string | null;
  errorCode: string | null;
  /** The model the client asked for, and the target that served it (null before the model was resolved). */
  model: string | null;
  servedModel: string | null;
  region: string | null;
  team: string | null;
  stream: boolean;
  attempts: number;
  /** Epoch milliseconds when the request arrived, and how long it took to its last byte. */
  startedAt: number;
  durationMs: number;
  ttftMs: number | null;
  /** Present for requests that reached a door and were metered. */
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number } | null;
  costMicros: number | null;
};

/** How one upstream attempt ended, as the routing layer classifies it. */
export type UpstreamOutcome = "ok" | "throttled" | "server_error" | "timeout" | "unreachable" | "client_error" | "aborted";

export interface Metrics {
  /** A request arrived (counts it in flight until `requestEnded`). */
  requestStarted(): void;
  /** The request's last byte was sent or it was abandoned; called exactly once per `requestStarted`. */
  requestEnded(record: RequestRecord): void;
  /** A response stream has started; `streamClosed` follows exactly once. */
  streamOpened(): void;
  streamClosed(): void;
  /**
   * One call to a Bedrock target (`target`: its model or inference-profile id, with the region when not the
   * default, e.g. `anthropic.claude-3-haiku@us-west-2`). `retry` is true for every attempt after a request's first.
   */
  upstreamAttempt(target: string, outcome: UpstreamOutcome, retry: boolean): void;
  /** Answers `GET /metrics` where the implementation exposes them; the route exists only when this is present. */
  scrape?(request: Request): Promise<Response>;
}

export const noopMetrics: Metrics = {
  requestStarted() {},
  requestEnded() {},
  streamOpened() {},
  streamClosed() {},
  upstreamAttempt() {},
};

/** Several implementations behind one (Prometheus and OpenTelemetry together); the first that scrapes answers /metrics. */
export function combineMetrics(...all: Metrics[]): Metrics {
  if (all.length === 1) return all[0]!;
  const scraper = all.find((m) => m.scrape);
  const combined: Metrics = {
    requestStarted: () => {
      for (const m of all) m.requestStarted();
    },
    requestEnded: (r) => {
      for (const m of all) m.requestEnded(r);
    },
    streamOpened: () => {
      for (const m of all) m.streamOpened();
    },
    streamClosed: () => {
      for (const m of all) m.streamClosed();
    },
    upstreamAttempt: (t, o, r) => {
      for (const m of all) m.upstreamAttempt(t, o, r);
    },
  };
  if (scraper?.scrape) combined.scrape = scraper.scrape.bind(scraper);
  return combined;
}
