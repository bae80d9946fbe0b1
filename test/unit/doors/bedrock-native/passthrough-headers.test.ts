import { describe, expect, it } from "vitest";
import { relayedHeaders, upstreamHeaders } from "../../../../src/doors/bedrock-native/headers";
import { checkPassthrough, gatedHeaderOf, gatedMemberOf } from "../../../../src/doors/bedrock-native/passthrough";

describe("gatedMemberOf (Converse bodies)", () => {
  it.each([
    [{ messages: [] }, null],
    [{ additionalModelRequestFields: { top_k: 1 } }, "additionalModelRequestFields"],
    [{ additionalModelResponseFieldPaths: ["/stop_sequence"] }, "additionalModelResponseFieldPaths"],
    [{ guardrailConfig: { guardrailIdentifier: "g", guardrailVersion: "1" } }, "guardrailConfig"],
    [{ promptVariables: { a: { text: "x" } } }, "promptVariables"],
    [{ serviceTier: { type: "default" } }, null],
    [{ serviceTier: { type: "priority" } }, "serviceTier"],
    [{ serviceTier: { type: "flex" } }, "serviceTier"],
    [{ performanceConfig: { latency: "standard" } }, null],
    [{ performanceConfig: { latency: "optimized" } }, "performanceConfig"],
    [{ additionalModelRequestFields: null }, null],
  ])("%j → %s", (body, field) => expect(gatedMemberOf(body)).toBe(field));
});

describe("gatedHeaderOf (InvokeModel headers)", () => {
  it.each<[Record<string, string>, string | null]>([
    [{ "content-type": "application/json" }, null],
    [{ "X-Amzn-Bedrock-GuardrailIdentifier": "g" }, "x-amzn-bedrock-guardrailidentifier"],
    [{ "X-Amzn-Bedrock-GuardrailVersion": "1" }, "x-amzn-bedrock-guardrailversion"],
    [{ "X-Amzn-Bedrock-Service-Tier": "default" }, null],
    [{ "X-Amzn-Bedrock-Service-Tier": "priority" }, "x-amzn-bedrock-service-tier"],
    [{ "X-Amzn-Bedrock-PerformanceConfig-Latency": "standard" }, null],
    [{ "X-Amzn-Bedrock-PerformanceConfig-Latency": "optimized" }, "x-amzn-bedrock-performanceconfig-latency"],
    [{ "X-Amzn-Bedrock-Trace": "ENABLED" }, null],
  ])("%j → %s", (h, field) => expect(gatedHeaderOf(new Headers(h))).toBe(field));
});

describe("checkPassthrough", () => {
  const guard = { guardrailConfig: { guardrailIdentifier: "g", guardrailVersion: "1" } };
  it.each([
    ["converse", guard, {}, false, /'guardrailConfig' is not allowed/],
    ["converse-stream", guard, {}, false, /'guardrailConfig' is not allowed/],
    ["invoke", {}, { "x-amzn-bedrock-guardrailidentifier": "g" }, false, /'x-amzn-bedrock-guardrailidentifier' is not allowed/],
    ["invoke-with-response-stream", {}, { "x-amzn-bedrock-guardrailidentifier": "g" }, false, /is not allowed/],
    ["converse", guard, {}, true, null],
    ["invoke", {}, { "x-amzn-bedrock-guardrailidentifier": "g" }, true, null],
    // CountTokens runs no model.
    ["count-tokens", { input: { converse: { additionalModelRequestFields: {} } } }, {}, false, null],
    // An InvokeModel body is the model's own: its fields are not Converse's.
    ["invoke", { guardrailConfig: {} }, {}, false, null],
  ] as const)("%s %j %j allowed=%s", (op, body, headers, allowed, message) => {
    const run = () => checkPassthrough(op, body, new Headers(headers), allowed);
    if (message) expect(run).toThrow(message);
    else expect(run).not.toThrow();
  });
});

describe("upstreamHeaders", () => {
  const incoming = new Headers({
    authorization: "Bearer bgw_live_secret",
    "x-amz-date": "20260101T000000Z",
    "x-amz-security-token": "t",
    host: "gateway",
    "content-type": "application/json",
    accept: "application/json",
    "x-amzn-bedrock-accept": "application/json",
    "x-amzn-bedrock-trace": "ENABLED",
    "x-amzn-bedrock-request-metadata": '{"team":"a"}',
  });
  it.each([
    ["converse", { "content-type": "application/json", accept: "application/json" }],
    ["converse-stream", { "content-type": "application/json", accept: "application/vnd.amazon.eventstream" }],
    ["count-tokens", { "content-type": "application/json", accept: "application/json" }],
    [
      "invoke",
      { "content-type": "application/json", accept: "application/json", "x-amzn-bedrock-trace": "ENABLED", "x-amzn-bedrock-request-metadata": '{"team":"a"}' },
    ],
    [
      "invoke-with-response-stream",
      {
        "content-type": "application/json",
        accept: "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-accept": "application/json",
        "x-amzn-bedrock-trace": "ENABLED",
        "x-amzn-bedrock-request-metadata": '{"team":"a"}',
      },
    ],
  ] as const)("%s sends only the operation's own headers, never the caller's credentials", (op, expected) => {
    expect(upstreamHeaders(op, incoming)).toEqual(expected);
  });

  it("relays Bedrock's content type and x-amzn-bedrock-* headers, nothing else", () => {
    const upstream = new Headers({
      "content-type": "application/json",
      "x-amzn-bedrock-input-token-count": "5",
      "x-amzn-bedrock-output-token-count": "7",
      "x-amzn-requestid": "upstream-id",
      "set-cookie": "x=1",
      connection: "keep-alive",
    });
    expect(relayedHeaders(upstream, false)).toEqual({
      "content-type": "application/json",
      "x-amzn-bedrock-input-token-count": "5",
      "x-amzn-bedrock-output-token-count": "7",
    });
    expect(relayedHeaders(new Headers(), true)).toEqual({ "content-type": "application/vnd.amazon.eventstream" });
  });
});
