import { describe, expect, it } from "vitest";
import { attemptOutcome, targetLabel } from "../../../src/routing/report";

describe("targetLabel", () => {
  it.each([
    [{ modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: "us-east-1" }, "anthropic.claude-3-haiku-20240307-v1:0"],
    [{ modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: "us-west-2" }, "anthropic.claude-3-haiku-20240307-v1:0@us-west-2"],
  ])("%o → %s", (report, expected) => {
    expect(targetLabel(report, "us-east-1")).toBe(expected);
  });
});

describe("attemptOutcome", () => {
  it.each([
    [{ outcome: "ok", status: null, code: null }, "ok"],
    [{ outcome: "error", status: 429, code: "rate_limit_exceeded" }, "throttled"],
    [{ outcome: "error", status: 429, code: "quota_exceeded" }, "throttled"],
    [{ outcome: "error", status: 504, code: "upstream_timeout" }, "timeout"],
    [{ outcome: "error", status: 504, code: "model_timeout" }, "timeout"],
    [{ outcome: "error", status: 502, code: "upstream_unavailable" }, "unreachable"],
    [{ outcome: "error", status: 499, code: "client_closed_request" }, "aborted"],
    // The graceful stop cut it: not a Bedrock server error.
    [{ outcome: "error", status: 503, code: "shutting_down" }, "aborted"],
    [{ outcome: "error", status: 400, code: null }, "client_error"],
    [{ outcome: "error", status: 403, code: "model_access_denied" }, "client_error"],
    [{ outcome: "error", status: 500, code: null }, "server_error"],
    [{ outcome: "error", status: 503, code: "service_unavailable" }, "server_error"],
    [{ outcome: "error", status: 503, code: "model_not_ready" }, "server_error"],
  ] as const)("%o → %s", (report, expected) => {
    expect(attemptOutcome(report)).toBe(expected);
  });
});
