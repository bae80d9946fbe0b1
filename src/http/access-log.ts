/**
 * The audit line: one JSON line per request, written when the request ends. For a request that reached a door
 * that is when its usage is settled (for a stream, when the stream ends or the client goes away), so `ms` covers
 * the whole response; for every other request (health, 404, 401, /v1/models) it is when the handler returns.
 * It names the caller by key id and prefix, never the key, and holds no prompt or completion text.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Clock } from "../deps";
import { GatewayError } from "../errors";
import type { Identity } from "../gateway/identity";
import type { Logger } from "../logger";
import { noopMetrics, type Metrics, type RequestRecord, type RequestStatus } from "../metrics";
import { formatMicros } from "../usage/cost";
import type { UsageDraft } from "../usage/draft";

export type AccessLogOptions = {
  logger: Logger;
  clock: Clock;
  metrics?: Metrics;
  /** Take the client address from `x-forwarded-for` (TRUST_PROXY): only behind a proxy that sets it. */
  trustProxy?: boolean;
  /** The peer address of the connection, where the runtime exposes it (from Hono's `env`). */
  clientAddress?: (env: unknown) => string | null;
};

/** What is known about a request when it arrives. */
export type RequestFacts = {
  requestId: string;
  method: string;
  path: string;
  startedAt: number;
  clientIp: string | null;
  userAgent: string | null;
  traceparent: string | null;
};

export type RequestEnd = {
  facts: RequestFacts;
  endedAt: number;
  /** The status of the response the handler produced. */
  httpStatus: number;
  /** The error the handler raised, if any (Hono's `c.error`). */
  error: unknown;
  identity: Identity | undefined;
  /** The usage draft, for requests that reached a door; settled unless something went wrong. */
  usage: UsageDraft | undefined;
};

const MAX_USER_AGENT = 256;

export function accessLog(opts: AccessLogOptions): MiddlewareHandler<AppEnv> {
  const { logger, clock } = opts;
  const metrics = opts.metrics ?? noopMetrics;
  return async function accessLog(c, next) {
    const facts: RequestFacts = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      startedAt: clock.now(),
      clientIp: clientIpOf(c.req.header("x-forwarded-for"), opts.trustProxy === true, () => opts.clientAddress?.(c.env) ?? null),
      userAgent: c.req.header("user-agent")?.slice(0, MAX_USER_AGENT) ?? null,
      traceparent: c.req.header("traceparent") ?? null,
    };
    guard(logger, facts, () => metrics.requestStarted());
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      guard(logger, facts, () => {
        const { line, record } = auditOf({
          facts,
          endedAt: clock.now(),
          httpStatus: c.res.status,
          error: c.error,
          identity: c.get("identity"),
          usage: c.get("usage"),
        });
        logger.info("request", line);
        metrics.requestEnded(record);
      });
    };
    try {
      await next();
    } catch (err) {
      end();
      throw err;
    }
    const usage = c.get("usage");
    // A stream owns its draft now: the line is written when it settles, after the last byte. Settling only
    // happens once the runtime reads the body, which starts after this middleware has returned.
    if (usage?.deferred && !usage.settled) {
      guard(logger, facts, () => metrics.streamOpened());
      const before = usage.onSettled;
      usage.onSettled = () => {
        before?.();
        guard(logger, facts, () => metrics.streamClosed());
        end();
      };
      return;
    }
    end();
  };
}

/** Metrics and logging never fail a request: a broken exporter costs its own numbers, not the response. */
function guard(logger: Logger, facts: RequestFacts, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error("request accounting failed", { requestId: facts.requestId, error: err });
  }
}

/**
 * The client's address. `x-forwarded-for` lists the client first and each proxy after it
 * (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For); it is only believed when the
 * operator says a proxy of theirs sets it, as a client can send any value.
 */
export function clientIpOf(forwardedFor: string | undefined, trustProxy: boolean, peer: () => string | null): string | null {
  if (trustProxy && forwardedFor) {
    const first = forwardedFor.split(",")[0]!.trim();
    if (/^[0-9A-Fa-f:.[\]]{2,64}$/.test(first)) return first;
  }
  return peer();
}

/** The audit line's fields and the metrics record of one finished request. Pure: everything arrives in `end`. */
export function auditOf(end: RequestEnd): { line: Record<string, unknown>; record: RequestRecord } {
  const { facts, identity, usage } = end;
  const settled = usage?.settledAs;
  const gw = end.error instanceof GatewayError ? end.error : null;
  const httpStatus = settled ? settled.outcome.httpStatus : end.httpStatus;
  const status: RequestStatus = settled ? settled.outcome.status : httpStatus >= 400 ? "error" : "ok";
  const errorCode = settled ? settled.outcome.errorCode : status === "ok" ? null : (gw?.code ?? gw?.type ?? (end.error ? "internal_error" : null));
  const errorType = status === "ok" ? null : (gw?.type ?? (end.error ? "server_error" : null));
  const durationMs = Math.max(0, Math.round(end.endedAt - facts.startedAt));
  const row = settled?.row;

  const line: Record<string, unknown> = {
    requestId: facts.requestId,
    startedAt: new Date(facts.startedAt).toISOString(),
    method: facts.method,
    path: facts.path,
    door: usage?.endpoint ?? null,
    auth: identity?.auth,
    keyId: identity?.keyId ?? undefined,
    keyPrefix: identity?.keyPrefix ?? undefined,
    user: identity?.user,
    team: identity ? identity.team : undefined,
    status,
    httpStatus,
    errorType,
    errorCode,
    ms: durationMs,
    clientIp: facts.clientIp,
    userAgent: facts.userAgent,
  };
  if (usage) {
    Object.assign(line, {
      model: usage.model,
      servedModel: usage.bedrockModelId,
      region: usage.targetRegion,
      stream: usage.stream,
      refusedBy: usage.refusedBy,
      attempts: usage.attempts,
      ttftMs: usage.ttftMs,
    });
    if (usage.admittedOpen) line.unmetered = true;
  }
  if (row) {
    Object.assign(line, {
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      cacheReadTokens: row.cacheReadTokens,
      cacheWriteTokens: row.cacheWriteTokens,
      estimated: row.estimated,
      stopReason: row.stopReason,
      costMicros: row.costMicros,
      costUsd: formatMicros(row.costMicros),
      costKnown: row.costKnown,
    });
  }

  const record: RequestRecord = {
    requestId: facts.requestId,
    door: usage?.endpoint ?? null,
    method: facts.method,
    traceparent: facts.traceparent,
    status,
    httpStatus,
    errorType,
    errorCode,
    model: usage?.model ?? null,
    servedModel: usage?.bedrockModelId ?? null,
    region: usage?.targetRegion ?? null,
    team: identity?.team ?? null,
    stream: usage?.stream ?? false,
    attempts: usage?.attempts ?? 0,
    startedAt: facts.startedAt,
    durationMs,
    ttftMs: usage?.ttftMs ?? null,
    tokens: row ? { input: row.inputTokens, output: row.outputTokens, cacheRead: row.cacheReadTokens ?? 0, cacheWrite: row.cacheWriteTokens ?? 0 } : null,
    costMicros: row ? row.costMicros : null,
  };
  return { line, record };
}
