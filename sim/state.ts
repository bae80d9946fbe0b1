/** What the simulator remembers between requests: counters, the request log, fail-first counts and the prompt cache. */
import type { StreamOutcome } from "./stream";
import { PromptCache } from "./usage";

export type SimStats = {
  /** Requests to Bedrock routes (not /__sim). */
  requests: number;
  inFlight: number;
  /** Responses with status >= 400. */
  errors: number;
  /** Requests rejected by SigV4 verification (missing, unknown key, bad signature, expired). */
  signatureFailures: number;
  streamsStarted: number;
  /** Streams that sent every frame and ended cleanly. */
  streamsCompleted: number;
  /** Streams the client went away from before the end; generation stopped. */
  streamsCancelled: number;
  /** Streams ended by a fault directive (reset, truncate, exception frame). */
  streamsFaulted: number;
  openStreams: number;
  /** Non-stream requests whose client went away before the response (e.g. during [sim:ttfb]). */
  requestsCancelled: number;
};

export type SimRequestLog = {
  /** The x-amzn-RequestId sent back. */
  id: string;
  method: string;
  path: string;
  operation: string;
  /** Decoded model id from the path, as sent. */
  modelId: string | null;
  /** Parsed JSON body (null when empty or not JSON). */
  body: unknown;
  /** Received headers; the Authorization signature and security token are redacted. */
  headers: Record<string, string>;
  /** The region the request was signed for (verified when signatures are checked). */
  region: string;
  status: number;
  at: string;
  /** ConverseStream: how the stream ended; other operations: "cancelled" when the client left first. */
  outcome?: StreamOutcome;
};

const LOG_SIZE = 200;

export function emptyStats(): SimStats {
  return {
    requests: 0,
    inFlight: 0,
    errors: 0,
    signatureFailures: 0,
    streamsStarted: 0,
    streamsCompleted: 0,
    streamsCancelled: 0,
    streamsFaulted: 0,
    openStreams: 0,
    requestsCancelled: 0,
  };
}

export function createState() {
  const state = {
    stats: emptyStats(),
    log: [] as SimRequestLog[],
    failures: new Map<string, number>(),
    cache: new PromptCache(),
    record(entry: SimRequestLog): void {
      state.log.push(entry);
      if (state.log.length > LOG_SIZE) state.log.splice(0, state.log.length - LOG_SIZE);
    },
    /** Clears counters (keeping the live inFlight/openStreams gauges), the log, fail-first counts and the cache. */
    reset(): void {
      const { inFlight, openStreams } = state.stats;
      state.stats = { ...emptyStats(), inFlight, openStreams };
      state.log.length = 0;
      state.failures.clear();
      state.cache.clear();
    },
  };
  return state;
}

export type SimState = ReturnType<typeof createState>;

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(", ") : v;
    if (k === "authorization") out[k] = value.replace(/Signature=[0-9a-fA-F]+/, "Signature=[redacted]");
    else if (k === "x-amz-security-token") out[k] = "[redacted]";
    else out[k] = value;
  }
  return out;
}
