/** How an attempt is named to the Metrics interface (src/metrics): its target label and outcome. Pure. */
import type { UpstreamOutcome } from "../metrics";
import type { AttemptReport } from "./router";

/** The target's id, with `@region` when it is not the gateway's default region. */
export function targetLabel(report: Pick<AttemptReport, "modelId" | "region">, defaultRegion: string): string {
  return report.region === defaultRegion ? report.modelId : `${report.modelId}@${report.region}`;
}

const BY_CODE: Record<string, UpstreamOutcome> = {
  client_closed_request: "aborted",
  // The gateway's graceful stop cut the attempt: not Bedrock's failure.
  shutting_down: "aborted",
  rate_limit_exceeded: "throttled",
  quota_exceeded: "throttled",
  upstream_timeout: "timeout",
  model_timeout: "timeout",
  upstream_unavailable: "unreachable",
};

export function attemptOutcome(report: Pick<AttemptReport, "outcome" | "status" | "code">): UpstreamOutcome {
  if (report.outcome === "ok") return "ok";
  const byCode = report.code ? BY_CODE[report.code] : undefined;
  if (byCode) return byCode;
  return report.status !== null && report.status < 500 ? "client_error" : "server_error";
}
