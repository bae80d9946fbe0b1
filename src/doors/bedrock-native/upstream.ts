/**
 * The Bedrock-native door's calls, routed over the resolved model's allowed targets by the gateway's router
 * (routing/router.ts: retries, fallback and circuit breakers before the first byte). Each attempt is recorded on
 * the usage draft as routing/upstream.ts records the other doors' (target id, region, price, attempt count), so
 * the row names the target that served and is priced at its price.
 */
import type { AttemptOptions } from "../../bedrock/client";
import type { Deps } from "../../deps";
import type { ModelTarget } from "../../models/catalogue";
import type { AttemptReport } from "../../routing/router";
import { routerFor } from "../../routing/upstream";
import type { UsageDraft } from "../../usage/draft";

/** One attempt: the target's Bedrock id, the client's abort signal and the attempt's limits. */
export type RawAttempt<T> = (modelId: string, signal: AbortSignal | undefined, attempt: AttemptOptions & { firstByteTimeoutMs: number }) => Promise<T>;

type AttemptMetrics = { upstreamAttempt?: (report: AttemptReport & { endpoint: string }) => void };

export function routeRaw(deps: Pick<Deps, "config" | "clock" | "logger">, draft: UsageDraft, targets: readonly ModelTarget[], signal: AbortSignal) {
  const router = routerFor(deps);
  const metrics = (deps as { metrics?: AttemptMetrics }).metrics;
  const idleTimeoutMs = deps.config.STREAM_IDLE_TIMEOUT_MS;
  return async <T>(call: RawAttempt<T>): Promise<T> => {
    const r = await router.run(
      targets,
      (t, ctx) =>
        call(t.modelId, ctx.signal, { region: ctx.region, connectTimeoutMs: ctx.connectTimeoutMs, firstByteTimeoutMs: ctx.firstByteTimeoutMs, idleTimeoutMs }),
      {
        signal,
        onAttempt(target, region) {
          draft.attempts++;
          draft.bedrockModelId = target.modelId;
          draft.targetRegion = region;
          draft.pricing = target.pricing;
        },
        onReport: (report) => metrics?.upstreamAttempt?.({ ...report, endpoint: draft.endpoint }),
      },
    );
    draft.bedrockModelId = r.target.modelId;
    draft.targetRegion = r.region;
    draft.pricing = r.target.pricing;
    return r.value;
  };
}
