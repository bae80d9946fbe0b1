import { describe, expect, it } from "vitest";
import type { RequestScope } from "../../../src/deps";
import { GatewayError } from "../../../src/errors";
import type { Identity } from "../../../src/gateway/identity";
import { auditOf, clientIpOf, type RequestEnd, type RequestFacts } from "../../../src/http/access-log";
import { toUsageRow, type UsageDraft, type UsageOutcome } from "../../../src/usage/draft";

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const facts: RequestFacts = {
  requestId: "req_1",
  method: "POST",
  path: "/v1/chat/completions",
  startedAt: T0,
  clientIp: "203.0.113.9",
  userAgent: "OpenAI/JS 6.1.0",
  traceparent: null,
};
const identity: Identity = { auth: "key", keyId: "key_1", keyPrefix: "bgw_live_ab12cd", user: "alice@example.com", team: "platform", levels: {} };

function draft(over: Partial<UsageDraft> = {}): UsageDraft {
  return {
    requestId: "req_1",
    auth: "key",
    keyId: "key_1",
    userEmail: "alice@example.com",
    team: "platform",
    endpoint: "chat.completions",
    model: "claude-sonnet-4-5",
    bedrockModelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    targetRegion: "us-east-1",
    attempts: 1,
    pricing: { price: { input: 3_000_000, output: 15_000_000 } },
    lease: null,
    refusedBy: null,
    stream: false,
    startedAt: T0 + 2,
    ttftMs: null,
    usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0 },
    estimated: false,
    stopReason: "end_turn",
    deferred: false,
    settled: true,
    scope: {} as RequestScope,
    ...over,
  };
}

function settled(d: UsageDraft, outcome: UsageOutcome, at: number): UsageDraft {
  d.settledAs = { row: toUsageRow(d, outcome, at), outcome };
  return d;
}

const OK: UsageOutcome = { status: "ok", httpStatus: 200, errorCode: null };

const end = (over: Partial<RequestEnd>): RequestEnd => ({ facts, endedAt: T0 + 250, httpStatus: 200, error: undefined, identity, usage: undefined, ...over });

describe("auditOf", () => {
  it.each<[string, RequestEnd, Record<string, unknown>]>([
    [
      "a plain completion: identity, models, tokens and cost (3 $/M in, 15 $/M out)",
      end({ usage: settled(draft(), OK, T0 + 250) }),
      {
        requestId: "req_1",
        startedAt: "2026-01-02T03:04:05.000Z",
        door: "chat.completions",
        keyId: "key_1",
        keyPrefix: "bgw_live_ab12cd",
        user: "alice@example.com",
        team: "platform",
        model: "claude-sonnet-4-5",
        servedModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        region: "us-east-1",
        status: "ok",
        httpStatus: 200,
        errorType: null,
        errorCode: null,
        attempts: 1,
        ms: 250,
        inputTokens: 1000,
        outputTokens: 200,
        costMicros: 6000,
        costUsd: "0.006000",
        costKnown: true,
        clientIp: "203.0.113.9",
        userAgent: "OpenAI/JS 6.1.0",
      },
    ],
    [
      "a stream the client left: its outcome, not the 200 sent first; ms up to the settle",
      end({
        endedAt: T0 + 4_000,
        usage: settled(
          draft({ stream: true, ttftMs: 300, estimated: true, deferred: true }),
          { status: "aborted", httpStatus: 499, errorCode: "client_closed_request" },
          T0 + 4_000,
        ),
      }),
      { status: "aborted", httpStatus: 499, errorCode: "client_closed_request", stream: true, ttftMs: 300, estimated: true, ms: 4000 },
    ],
    [
      "a refusal by a budget names the limit",
      end({
        httpStatus: 429,
        error: new GatewayError({ status: 429, type: "rate_limit_error", code: "budget_exceeded", message: "x" }),
        usage: settled(draft({ refusedBy: "daily:team", usage: null }), { status: "error", httpStatus: 429, errorCode: "budget_exceeded" }, T0 + 20),
      }),
      { status: "error", httpStatus: 429, errorType: "rate_limit_error", errorCode: "budget_exceeded", refusedBy: "daily:team", inputTokens: 0, costMicros: 0 },
    ],
    [
      "a model without a price: cost unknown",
      end({ usage: settled(draft({ pricing: null }), OK, T0 + 5) }),
      { costMicros: 0, costUsd: "0.000000", costKnown: false },
    ],
  ])("%s", (_name, input, expected) => {
    expect(auditOf(input).line).toMatchObject(expected);
  });

  it.each<[string, RequestEnd, Record<string, unknown>]>([
    [
      "401: no identity, no usage fields",
      end({ identity: undefined, httpStatus: 401, error: GatewayError.invalidApiKey() }),
      { door: null, status: "error", httpStatus: 401, errorType: "invalid_request_error", errorCode: "invalid_api_key" },
    ],
    [
      "404 route",
      end({ identity: undefined, httpStatus: 404, error: undefined, facts: { ...facts, method: "GET", path: "/nothing" } }),
      { door: null, status: "error", httpStatus: 404, errorType: null, errorCode: null, path: "/nothing" },
    ],
    ["health", end({ identity: undefined, facts: { ...facts, method: "GET", path: "/healthz" } }), { door: null, status: "ok", httpStatus: 200 }],
    [
      "an unexpected failure",
      end({ identity: undefined, httpStatus: 500, error: new TypeError("boom") }),
      { errorType: "server_error", errorCode: "internal_error" },
    ],
  ])("requests without a door: %s", (_name, input, expected) => {
    const { line, record } = auditOf(input);
    expect(line).toMatchObject(expected);
    for (const field of ["model", "inputTokens", "costMicros", "ttftMs", "attempts"]) expect(line).not.toHaveProperty(field);
    expect(record).toMatchObject({ door: null, tokens: null, costMicros: null, model: null });
  });

  it("never carries the key or the message text, whatever the request held", () => {
    const { line, record } = auditOf(end({ usage: settled(draft(), OK, T0 + 9) }));
    const text = JSON.stringify([line, record]);
    expect(text).not.toMatch(/bgw_live_[0-9A-Za-z]{20,}/);
    expect(text).not.toContain("messages");
  });

  it("gives the metrics record the same outcome and numbers as the line", () => {
    const { line, record } = auditOf(end({ usage: settled(draft({ team: "platform" }), OK, T0 + 250) }));
    expect(record).toMatchObject({
      status: line.status,
      httpStatus: line.httpStatus,
      durationMs: line.ms,
      team: "platform",
      tokens: { input: 1000, output: 200, cacheRead: 0, cacheWrite: 0 },
      costMicros: 6000,
    });
  });
});

describe("clientIpOf", () => {
  const peer = () => "10.0.0.5";
  it.each<[string, string | undefined, boolean, string | null]>([
    ["the peer when the proxy is not trusted", "198.51.100.7", false, "10.0.0.5"],
    ["the first x-forwarded-for address behind a trusted proxy", "198.51.100.7, 10.0.0.1", true, "198.51.100.7"],
    ["IPv6 from x-forwarded-for", "2001:db8::1", true, "2001:db8::1"],
    ["the peer when x-forwarded-for is absent", undefined, true, "10.0.0.5"],
    ["the peer when x-forwarded-for holds no address", "<script>", true, "10.0.0.5"],
  ])("%s", (_name, header, trust, expected) => {
    expect(clientIpOf(header, trust, peer)).toBe(expected);
  });

  it("null when nothing is known", () => {
    expect(clientIpOf(undefined, false, () => null)).toBeNull();
  });
});
