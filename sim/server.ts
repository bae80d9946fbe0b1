/**
 * A faithful Bedrock Runtime (and control-plane) simulator on node:http, for tests and `npm run demo`.
 * Behaviour: sim/behaviour.ts (replies, tokens), sim/directives.ts (test hooks), sim/validate.ts (validation),
 * sim/sigv4.ts (signature checks), sim/stream.ts (event-stream frames and faults).
 * Routes: POST /model/{modelId}/converse | converse-stream | invoke | invoke-with-response-stream | count-tokens; GET /foundation-models[/{id}],
 * /inference-profiles[/{id}]; unsigned GET /__sim/stats, GET /__sim/requests, POST /__sim/reset, POST /__sim/clock.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { controlPlane } from "./control-plane";
import { sendError, SimError, validation } from "./errors";
import { resolveModel } from "./models";
import { countTokens, invokeAnthropic, invokeAnthropicStream } from "./anthropic-invoke";
import { converse, invoke, sendJson, type OperationContext } from "./operations";
import { type Credential, createVerifier } from "./sigv4";
import { createState, redactHeaders, type SimRequestLog, type SimStats } from "./state";

export type { SimRequestLog, SimStats } from "./state";

export type SimulatorOptions = {
  /** 0 = random. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "us-east-1". */
  region?: string;
  /**
   * Further regions this endpoint answers for, as if it were each of those regions' endpoints too (a gateway whose
   * AWS_ENDPOINT_URL_BEDROCK_RUNTIME override serves every region). Requests are logged with the region they were signed for.
   */
  regions?: string[];
  /** Accepted identities; default [SIM_CREDENTIALS]. */
  credentials?: Credential[];
  /** Default true. */
  verifySignatures?: boolean;
  /** Shifts the simulator's clock for the SigV4 5-minute check (e.g. ±6 min to test skew). Default 0. */
  clockOffsetMs?: number;
};

export const SIM_CREDENTIALS = { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "simulator-secret-access-key" };

export type Simulator = {
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): SimStats;
  requests(): SimRequestLog[];
  reset(): void;
  /** Changes the clock offset at run time (also `POST /__sim/clock {"offsetMs": n}`); reset() restores the option. */
  setClockOffset(ms: number): void;
};

const MAX_BODY = 32 * 1024 * 1024;
const MODEL_ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;
const OPERATIONS: Record<string, string> = {
  converse: "Converse",
  "converse-stream": "ConverseStream",
  invoke: "InvokeModel",
  "invoke-with-response-stream": "InvokeModelWithResponseStream",
  "count-tokens": "CountTokens",
};
const CONTROL_OPERATIONS: [RegExp, string][] = [
  [/^\/foundation-models$/, "ListFoundationModels"],
  [/^\/foundation-models\//, "GetFoundationModel"],
  [/^\/inference-profiles$/, "ListInferenceProfiles"],
  [/^\/inference-profiles\//, "GetInferenceProfile"],
];

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(buf: Buffer): { body: unknown; error?: string } {
  if (buf.length === 0) return { body: undefined };
  try {
    return { body: JSON.parse(buf.toString("utf8")) };
  } catch (e) {
    return { body: null, error: String(e) };
  }
}

/** The region of the credential scope (`Credential=AKID/date/region/service/aws4_request`), unverified. */
function signedRegion(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? "")?.[1];
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const region = opts.region ?? "us-east-1";
  let clockOffsetMs = opts.clockOffsetMs ?? 0;
  const verify = createVerifier({
    credentials: opts.credentials ?? [SIM_CREDENTIALS],
    region,
    regions: opts.regions,
    now: () => Date.now() + clockOffsetMs,
  });
  const state = createState();
  const reset = () => {
    state.reset();
    clockOffsetMs = opts.clockOffsetMs ?? 0;
  };
  const live = new Set<AbortController>();

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    if (req.method === "GET" && path === "/__sim/stats") return sendJson(res, 200, state.stats);
    if (req.method === "GET" && path === "/__sim/requests") return sendJson(res, 200, state.log);
    if (req.method === "POST" && path === "/__sim/reset") {
      reset();
      res.writeHead(204).end();
      return;
    }
    if (req.method === "POST" && path === "/__sim/clock") {
      const offset = Number((parseBody(body ?? Buffer.alloc(0)).body as { offsetMs?: unknown } | undefined)?.offsetMs);
      if (!Number.isFinite(offset)) return sendJson(res, 400, { message: 'bedrock-simulator: expected {"offsetMs": number}' });
      clockOffsetMs = offset;
      return sendJson(res, 200, { offsetMs: clockOffsetMs });
    }
    sendJson(res, 404, { message: `bedrock-simulator: no admin route ${req.method} ${path}` });
  }

  async function route(ctx: Omit<OperationContext, "model">, req: IncomingMessage, path: string, query: URLSearchParams): Promise<void> {
    const m = MODEL_ROUTE.exec(path);
    if (req.method === "POST" && m) {
      let modelId: string;
      try {
        modelId = decodeURIComponent(m[1]!);
      } catch {
        throw validation("The provided model identifier is invalid.");
      }
      ctx.entry.modelId = modelId;
      const resolved = resolveModel(modelId, ctx.region);
      if (!resolved) throw validation("The provided model identifier is invalid.");
      const op = { ...ctx, model: resolved.model };
      switch (m[2]) {
        case "invoke":
          return resolved.model.kind === "embedding" ? invoke(op) : invokeAnthropic(op);
        case "invoke-with-response-stream":
          return invokeAnthropicStream(op);
        case "count-tokens":
          return countTokens(op);
        default:
          return converse(op, m[2] === "converse-stream");
      }
    }
    const control = req.method === "GET" ? controlPlane(ctx.region, path, query) : undefined;
    if (control === undefined) throw new SimError("UnknownOperationException");
    sendJson(ctx.res, 200, control);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const [path, rawQuery = ""] = url.split("?", 2) as [string, string?];
    if (path.startsWith("/__sim/")) return admin(req, res, path);
    const startedAt = Date.now();
    const id = randomUUID();
    res.setHeader("x-amzn-RequestId", id);
    // AWS dates every answer by its own clock; clients correct their clock skew from it.
    res.setHeader("date", new Date(Date.now() + clockOffsetMs).toUTCString());
    const controller = new AbortController();
    live.add(controller);
    state.stats.requests++;
    state.stats.inFlight++;
    const modelOp = MODEL_ROUTE.exec(path);
    const entry: SimRequestLog = {
      id,
      method: req.method ?? "GET",
      path,
      operation: modelOp ? OPERATIONS[modelOp[2]!]! : (CONTROL_OPERATIONS.find(([re]) => re.test(path))?.[1] ?? "Unknown"),
      modelId: null,
      body: null,
      headers: redactHeaders(req.headers),
      region: signedRegion(req.headers.authorization) ?? region,
      status: 0,
      at: new Date(startedAt).toISOString(),
    };
    state.record(entry);
    res.on("close", () => {
      live.delete(controller);
      state.stats.inFlight--;
      if (!res.writableFinished) controller.abort();
      entry.status ||= res.headersSent ? res.statusCode : 0;
      if (entry.status >= 400) state.stats.errors++;
    });
    try {
      const raw = await readBody(req);
      if (raw === null) {
        sendJson(res, 413, { message: `Request body exceeds ${MAX_BODY} bytes.` });
        return;
      }
      const parsed = parseBody(raw);
      entry.body = parsed.body ?? null;
      if (opts.verifySignatures !== false) {
        try {
          entry.region = await verify({ method: req.method ?? "GET", url, rawHeaders: req.rawHeaders, body: raw });
        } catch (e) {
          state.stats.signatureFailures++;
          throw e;
        }
      }
      const ctx = { res, body: parsed.body, bodyError: parsed.error, state, entry, signal: controller.signal, startedAt, region: entry.region };
      await route(ctx, req, path, new URLSearchParams(rawQuery));
    } catch (e) {
      const err = e instanceof SimError ? e : new SimError("InternalServerException");
      if (!(e instanceof SimError)) console.error("bedrock-simulator: unexpected error", e);
      if (!res.headersSent && !res.destroyed) sendError(res, err);
      else if (!res.writableEnded) res.destroy();
    }
  }

  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => void handle(req, res));
  // Long-lived keep-alive like AWS endpoints, so pooled clients are not raced by an idle close.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...state.stats }),
    requests: () => state.log.map((e) => ({ ...e })),
    reset,
    setClockOffset: (ms: number) => {
      clockOffsetMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of live) c.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
