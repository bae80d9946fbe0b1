import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { bedrockErrorShape, bedrockExceptionOf, EXCEPTION_STATUS, type BedrockExceptionName } from "../../../../src/doors/bedrock-native/errors";
import { refusalError } from "../../../../src/policy/limits";

const gw = (status: number, code: string | null, headers?: Record<string, string>) => new GatewayError({ status, type: "x", code, message: "m", headers });

describe("bedrockExceptionOf", () => {
  it.each<[string, GatewayError, BedrockExceptionName, number]>([
    ["a missing or unknown key", GatewayError.invalidApiKey(), "UnrecognizedClientException", 403],
    ["a SigV4-signed request", gw(403, "caller_signed_request"), "UnrecognizedClientException", 403],
    ["a bad body", GatewayError.invalidRequest("messages", "m"), "ValidationException", 400],
    ["a body over the limit", GatewayError.payloadTooLarge(10), "ValidationException", 400],
    ["a model the key may not use", GatewayError.modelNotFound("x"), "ResourceNotFoundException", 404],
    ["an unknown route", GatewayError.notFound("m", "unknown_url"), "UnknownOperationException", 404],
    ["Bedrock's ValidationException", GatewayError.fromBedrock(400, "ValidationException", "m"), "ValidationException", 400],
    ["Bedrock's AccessDeniedException", GatewayError.fromBedrock(403, "AccessDeniedException", "m"), "AccessDeniedException", 403],
    ["Bedrock's ResourceNotFoundException", GatewayError.fromBedrock(404, "ResourceNotFoundException", "m"), "ResourceNotFoundException", 404],
    ["Bedrock's ThrottlingException", GatewayError.fromBedrock(429, "ThrottlingException", "m"), "ThrottlingException", 429],
    ["Bedrock's ServiceQuotaExceededException", GatewayError.fromBedrock(400, "ServiceQuotaExceededException", "m"), "ServiceQuotaExceededException", 400],
    ["Bedrock's ModelTimeoutException", GatewayError.fromBedrock(408, "ModelTimeoutException", "m"), "ModelTimeoutException", 408],
    ["Bedrock's ModelNotReadyException", GatewayError.fromBedrock(429, "ModelNotReadyException", "m"), "ModelNotReadyException", 429],
    ["Bedrock's ModelErrorException", GatewayError.fromBedrock(424, "ModelErrorException", "m"), "ModelErrorException", 424],
    ["Bedrock's InternalServerException", GatewayError.fromBedrock(500, "InternalServerException", "m"), "InternalServerException", 500],
    ["Bedrock's ServiceUnavailableException", GatewayError.fromBedrock(503, "ServiceUnavailableException", "m"), "ServiceUnavailableException", 503],
    ["the gateway's own credentials refused upstream", GatewayError.fromBedrock(403, "UnrecognizedClientException", "m"), "InternalServerException", 500],
    ["Bedrock unreachable", GatewayError.upstream("m", "upstream_unavailable"), "InternalServerException", 500],
    ["no answer in time", gw(504, "upstream_timeout"), "ModelTimeoutException", 408],
    ["the database down", gw(503, "service_unavailable"), "ServiceUnavailableException", 503],
    ["a gateway bug", GatewayError.internal(), "InternalServerException", 500],
    ["a request rate limit", gw(429, "rate_limit_exceeded"), "ThrottlingException", 429],
    ["a request that can never fit the token limit", gw(429, "rate_limit_exceeded", { "x-should-retry": "false" }), "ServiceQuotaExceededException", 400],
    ["a spent budget", gw(429, "insufficient_quota"), "ServiceQuotaExceededException", 400],
  ])("%s → %s %i", (_name, err, name, status) => {
    expect(bedrockExceptionOf(err)).toBe(name);
    expect(EXCEPTION_STATUS[name]).toBe(status);
    expect(bedrockErrorShape.status!(err)).toBe(status);
    expect(bedrockErrorShape.headers!(err)).toEqual({ "x-amzn-ErrorType": name });
  });

  it("answers the policy layer's own refusals as AWS would", () => {
    const budget = refusalError({ ok: false, limit: "daily", subject: "key:k1", used: 10, max: 5 } as never, Date.UTC(2026, 0, 1), 10);
    expect(bedrockExceptionOf(budget)).toBe("ServiceQuotaExceededException");
    const rpm = refusalError({ ok: false, limit: "rpm", subject: "key:k1", used: 10, max: 5 } as never, Date.UTC(2026, 0, 1), 10);
    expect(bedrockExceptionOf(rpm)).toBe("ThrottlingException");
  });

  it("says how to authenticate when the key is refused, and keeps other messages", () => {
    expect(bedrockErrorShape.body(GatewayError.invalidApiKey())).toEqual({ message: expect.stringMatching(/Bearer <gateway key>.*AWS_BEARER_TOKEN_BEDROCK/) });
    expect(bedrockErrorShape.body(GatewayError.invalidRequest("x", "exact message"))).toEqual({ message: "exact message" });
  });
});
