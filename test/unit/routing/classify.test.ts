import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors";
import { AttemptError, classifyBedrockError, classifyGatewayError, retryClassOf } from "../../../src/routing/classify";

describe("classifyBedrockError", () => {
  it.each([
    ["ThrottlingException", 429, "next"],
    ["ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", 429, "next"],
    ["throttlingException", 429, "next"],
    ["ServiceQuotaExceededException", 400, "next"],
    ["ModelNotReadyException", 429, "next"],
    ["InternalServerException", 500, "same"],
    ["ServiceUnavailableException", 503, "same"],
    ["ModelTimeoutException", 408, "same"],
    ["ValidationException", 400, "never"],
    ["AccessDeniedException", 403, "never"],
    ["ResourceNotFoundException", 404, "never"],
    ["ModelErrorException", 424, "never"],
    ["ModelStreamErrorException", 424, "never"],
    ["UnrecognizedClientException", 403, "never"],
    ["InvalidSignatureException", 403, "never"],
    ["ExpiredTokenException", 403, "never"],
    [null, 429, "next"],
    [null, 500, "same"],
    [null, 502, "same"],
    [null, 503, "same"],
    [null, 408, "same"],
    [null, 400, "never"],
    [null, 403, "never"],
    ["SomethingNewException", 504, "same"],
    ["SomethingNewException", 409, "never"],
  ] as const)("%s / %i → %s", (type, status, expected) => {
    expect(classifyBedrockError(type, status)).toBe(expected);
  });
});

describe("classifyGatewayError (exception frames before the first event)", () => {
  const fromFrame = (type: string, status: number) => GatewayError.fromBedrock(status, type, "m");
  it.each([
    ["throttlingException frame", fromFrame("throttlingException", 429), "next"],
    ["internalServerException frame", fromFrame("internalServerException", 500), "same"],
    ["serviceUnavailableException frame", fromFrame("serviceUnavailableException", 503), "same"],
    ["validationException frame", fromFrame("validationException", 400), "never"],
    ["modelStreamErrorException frame", fromFrame("modelStreamErrorException", 424), "never"],
    ["corrupt frame", GatewayError.upstream("bad", "upstream_malformed_stream"), "same"],
    ["upstream auth failure", GatewayError.upstream("no", "upstream_auth_failed"), "never"],
    ["client closed", new GatewayError({ status: 499, type: "invalid_request_error", code: "client_closed_request", message: "x" }), "never"],
  ] as const)("%s → %s", (_, err, expected) => {
    expect(classifyGatewayError(err)).toBe(expected);
  });
});

describe("retryClassOf", () => {
  it.each([
    ["an attempt error keeps its class", new AttemptError(GatewayError.upstream("x", "upstream_error"), "same"), "same"],
    ["a plain gateway error is classified by code", GatewayError.rateLimited("x"), "next"],
    ["anything else is a bug, never retried", new TypeError("boom"), "never"],
  ] as const)("%s", (_, err, expected) => {
    expect(retryClassOf(err)).toBe(expected);
  });

  it("an attempt error is still the GatewayError clients see", () => {
    const err = new AttemptError(GatewayError.fromBedrock(429, "ThrottlingException", "slow down"), "next");
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 429, code: "rate_limit_exceeded", retryAfter: 1, message: "slow down" });
  });
});
