import { describe, expect, it } from "vitest";
import { BEDROCK_ERROR_TYPES, mapBedrockErrorType, normaliseErrorType } from "../../../src/bedrock/error-map";
import { GatewayError, toOpenAIErrorBody } from "../../../src/errors";

describe("Bedrock error mapping", () => {
  it.each([
    ["ValidationException", 400, 400, "invalid_request_error", null, false],
    ["AccessDeniedException", 403, 403, "invalid_request_error", "model_access_denied", false],
    ["ResourceNotFoundException", 404, 404, "invalid_request_error", "model_not_found", false],
    ["ThrottlingException", 429, 429, "rate_limit_error", "rate_limit_exceeded", true],
    ["ServiceQuotaExceededException", 400, 429, "rate_limit_error", "quota_exceeded", false],
    ["ModelTimeoutException", 408, 504, "timeout_error", "model_timeout", true],
    ["ModelNotReadyException", 429, 503, "server_error", "model_not_ready", true],
    ["ModelErrorException", 424, 502, "server_error", "model_error", false],
    ["InternalServerException", 500, 500, "server_error", null, true],
    ["ServiceUnavailableException", 503, 503, "server_error", "service_unavailable", true],
    ["ModelStreamErrorException", 424, 502, "server_error", "model_stream_error", false],
    ["UnrecognizedClientException", 403, 502, "server_error", "upstream_auth_failed", false],
    ["InvalidSignatureException", 403, 502, "server_error", "upstream_auth_failed", false],
    ["ExpiredTokenException", 403, 502, "server_error", "upstream_auth_failed", false],
    ["MissingAuthenticationTokenException", 403, 502, "server_error", "upstream_auth_failed", false],
    ["IncompleteSignatureException", 403, 502, "server_error", "upstream_auth_failed", false],
  ] as const)("%s (HTTP %i) → %i %s/%s", (type, http, status, errType, code, retryable) => {
    expect(mapBedrockErrorType(type, http)).toMatchObject({ status, type: errType, code, retryable });
  });

  it("covers every listed Bedrock error type explicitly", () => {
    for (const t of BEDROCK_ERROR_TYPES) expect(mapBedrockErrorType(t, 599).status).not.toBe(599);
  });

  it.each([
    ["ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", "ThrottlingException"],
    ["com.amazon.coral.service#ValidationException", "ValidationException"],
    ["throttlingException", "ThrottlingException"],
    ["", null],
    [null, null],
  ])("normalises %j", (raw, expected) => expect(normaliseErrorType(raw)).toBe(expected));

  it.each([
    [429, 429, "rate_limit_exceeded"],
    [401, 502, "upstream_auth_failed"],
    [404, 404, "model_not_found"],
    [413, 400, null],
    [503, 503, "service_unavailable"],
    [502, 502, "upstream_error"],
  ])("falls back on the HTTP status %i when the type is unknown", (http, status, code) => {
    expect(mapBedrockErrorType("SomethingNewException", http)).toMatchObject({ status, code });
  });

  it("reports Bedrock's unknown-model validation error as 404 model_not_found on `model`", () => {
    const err = GatewayError.fromBedrock(400, "ValidationException", "The provided model identifier is invalid.");
    expect(err).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    expect(GatewayError.fromBedrock(400, "ValidationException", "messages.0 is blank")).toMatchObject({ status: 400, param: null });
  });

  it("scrubs upstream credential failures and keeps Bedrock's message for validation errors", () => {
    const auth = GatewayError.fromBedrock(403, "InvalidSignatureException", "The request signature we calculated does not match AKIA123");
    expect(auth.message).not.toContain("AKIA");
    expect(toOpenAIErrorBody(auth)).toEqual({ error: { message: auth.message, type: "server_error", param: null, code: "upstream_auth_failed" } });
    expect(GatewayError.fromBedrock(400, "ValidationException", "messages.0 is blank").message).toBe("messages.0 is blank");
    expect(GatewayError.fromBedrock(429, "ThrottlingException", null).retryAfter).toBe(1);
  });
});
