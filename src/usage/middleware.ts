import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { settleUsage, type UsageDraft, type UsageEndpoint, type UsageOutcome } from "./draft";

/** Opens the usage draft of an authenticated request and settles it when a non-streaming response is ready. */
export function usageTracking(deps: Deps, endpoint: UsageEndpoint): MiddlewareHandler<AppEnv> {
  return async function usageTracking(c, next) {
    // A request whose row could not be kept is not served: while the database is down and the queue is full,
    // clients are asked to come back rather than rows being dropped.
    if (c.get("scope").usageWriter?.isFull()) {
      throw new GatewayError({
        status: 503,
        type: "server_error",
        code: "service_unavailable",
        message: "The gateway cannot record usage right now (its database is unavailable). Try again shortly.",
        retryAfter: 5,
      });
    }
    const who = c.get("identity");
    const draft: UsageDraft = {
      requestId: c.get("requestId"),
      auth: who.auth,
      keyId: who.keyId,
      userEmail: who.user,
      team: who.team,
      endpoint,
      model: null,
      bedrockModelId: null,
      targetRegion: null,
      attempts: 0,
      pricing: null,
      lease: null,
      refusedBy: null,
      stream: false,
      startedAt: deps.clock.now(),
      ttftMs: null,
      inputEstimate: undefined,
      usage: null,
      estimated: false,
      stopReason: null,
      deferred: false,
      settled: false,
      scope: c.get("scope"),
    };
    c.set("usage", draft);
    await next();
    if (!draft.deferred) settleUsage(deps, draft, outcomeOf(c.res.status, c.error));
  };
}

export function outcomeOf(httpStatus: number, error: unknown): UsageOutcome {
  const code = error instanceof GatewayError ? (error.code ?? error.type) : error ? "internal_error" : null;
  if (httpStatus === 499) return { status: "aborted", httpStatus, errorCode: code ?? "client_closed_request" };
  if (httpStatus >= 400) return { status: "error", httpStatus, errorCode: code ?? `http_${httpStatus}` };
  return { status: "ok", httpStatus, errorCode: null };
}
