/**
 * The Bedrock calls of one request, routed over its model's allowed targets. Each attempt is recorded on the
 * usage draft as it starts (target id, region, price, attempt count), so the row names the target that served,
 * or the last one tried, and its cost uses that target's price. One router per gateway instance (per Deps), so
 * circuit breakers are shared by its requests.
 */
import type { BedrockClient } from "../bedrock/client";
import type { ConverseRequest, ConverseResponse } from "../bedrock/converse-types";
import type { Deps } from "../deps";
import type { ModelTarget } from "../models/catalogue";
import type { UsageDraft } from "../usage/draft";
import { attemptOutcome, targetLabel } from "./report";
import { abortableSleep, createRouter, type AttemptContext, type AttemptReport, type Router } from "./router";

const routers = new WeakMap<object, Router>();

/** The router of this gateway instance, built from its configuration on first use. */
export function routerFor(deps: Pick<Deps, "config" | "clock" | "logger">): Router {
  let router = routers.get(deps);
  if (!router) {
    const c = deps.config;
    router = createRouter({
      defaultRegion: c.AWS_REGION,
      maxAttempts: c.UPSTREAM_RETRIES + 1,
      connectTimeoutMs: c.UPSTREAM_CONNECT_TIMEOUT_MS,
      firstByteTimeoutMs: c.UPSTREAM_FIRST_BYTE_TIMEOUT_MS,
      deadlineMs: c.UPSTREAM_TIMEOUT_MS,
      now: () => deps.clock.now(),
      random: Math.random,
      sleep: abortableSleep,
      logger: deps.logger,
    });
    routers.set(deps, router);
  }
  return router;
}

export type RoutedBedrock = {
  converse(body: ConverseRequest): Promise<ConverseResponse>;
  /** Resolves with the stream once a target's first event has arrived; later failures end the stream. */
  converseStream(body: ConverseRequest): ReturnType<BedrockClient["converseStream"]>;
  invokeModel(body: unknown): ReturnType<BedrockClient["invokeModel"]>;
  /** Like converseStream, for InvokeModelWithResponseStream (Claude's own body). */
  invokeModelStream(body: unknown): ReturnType<BedrockClient["invokeModelStream"]>;
};

/** Tells the gateway's metrics (when it has them) how one attempt went. */
export function reportAttempt(deps: Pick<Deps, "config" | "metrics">, report: AttemptReport): void {
  deps.metrics?.upstreamAttempt(targetLabel(report, deps.config.AWS_REGION), attemptOutcome(report), report.attempt > 1);
}

export function routeBedrock(
  deps: Pick<Deps, "bedrock" | "config" | "clock" | "logger" | "metrics">,
  draft: UsageDraft,
  targets: readonly ModelTarget[],
  signal: AbortSignal,
): RoutedBedrock {
  const router = routerFor(deps);
  // Later calls of the same request (embedding inputs) start where the previous one was served.
  let prefer: number | undefined;
  const hooks = {
    signal,
    get prefer() {
      return prefer;
    },
    onAttempt(target: ModelTarget, region: string) {
      draft.attempts++;
      draft.bedrockModelId = target.modelId;
      draft.targetRegion = region;
      draft.pricing = target.pricing;
    },
    onReport: (report: AttemptReport) => reportAttempt(deps, report),
  };
  const idleTimeoutMs = deps.config.STREAM_IDLE_TIMEOUT_MS;
  const options = (ctx: AttemptContext) => ({
    region: ctx.region,
    connectTimeoutMs: ctx.connectTimeoutMs,
    firstByteTimeoutMs: ctx.firstByteTimeoutMs,
    idleTimeoutMs,
  });
  const run = async <T>(call: (t: ModelTarget, ctx: AttemptContext) => Promise<T>): Promise<T> => {
    const r = await router.run(targets, call, hooks);
    prefer = r.index;
    // Concurrent calls may have recorded other targets meanwhile; the row names the one that served last.
    draft.bedrockModelId = r.target.modelId;
    draft.targetRegion = r.region;
    draft.pricing = r.target.pricing;
    return r.value;
  };
  return {
    converse: (body) => run((t, ctx) => deps.bedrock.converse(t.modelId, body, ctx.signal, options(ctx))),
    converseStream: (body) => run((t, ctx) => deps.bedrock.converseStream(t.modelId, body, ctx.signal, options(ctx))),
    invokeModel: (body) => run((t, ctx) => deps.bedrock.invokeModel(t.modelId, body, ctx.signal, options(ctx))),
    invokeModelStream: (body) => run((t, ctx) => deps.bedrock.invokeModelStream(t.modelId, body, ctx.signal, options(ctx))),
  };
}
