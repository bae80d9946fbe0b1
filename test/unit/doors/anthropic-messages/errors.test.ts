import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { anthropicErrorShape, toAnthropicErrorBody } from "../../../../src/doors/anthropic-messages/errors";
import { GatewayError } from "../../../../src/errors";

const gw = (status: number, type = "server_error", code: string | null = null) => new GatewayError({ status, type, code, message: "m" });

describe("Anthropic error shape", () => {
  it.each([
    ["invalid request", GatewayError.invalidRequest("x", "m"), 400, "invalid_request_error", Anthropic.BadRequestError],
    ["bad key", GatewayError.invalidApiKey("m"), 401, "authentication_error", Anthropic.AuthenticationError],
    ["model access denied", GatewayError.fromBedrock(403, "AccessDeniedException", "m"), 403, "permission_error", Anthropic.PermissionDeniedError],
    ["unknown model", GatewayError.modelNotFound("x"), 404, "not_found_error", Anthropic.NotFoundError],
    ["body too large", GatewayError.payloadTooLarge(10), 413, "request_too_large", Anthropic.APIError],
    ["rate limit", GatewayError.rateLimited("m"), 429, "rate_limit_error", Anthropic.RateLimitError],
    ["Bedrock throttling", GatewayError.fromBedrock(429, "ThrottlingException", "m"), 429, "rate_limit_error", Anthropic.RateLimitError],
    ["Bedrock unavailable", GatewayError.fromBedrock(503, "ServiceUnavailableException", "m"), 529, "overloaded_error", Anthropic.OverloadedError],
    ["model not ready", GatewayError.fromBedrock(429, "ModelNotReadyException", "m"), 529, "overloaded_error", Anthropic.OverloadedError],
    ["internal", GatewayError.internal(), 500, "api_error", Anthropic.InternalServerError],
    ["upstream", gw(502, "server_error", "upstream_error"), 502, "api_error", Anthropic.InternalServerError],
    ["timeout", gw(504, "timeout_error", "upstream_timeout"), 504, "timeout_error", Anthropic.InternalServerError],
  ])("%s → %i %s, raised by the SDK as the matching class", (_label, err, status, type, cls) => {
    expect(anthropicErrorShape.status!(err)).toBe(status);
    const body = toAnthropicErrorBody(err);
    expect(body).toEqual({ type: "error", error: { type, message: err.message } });
    expect(Anthropic.APIError.generate(status, body, undefined, new Headers())).toBeInstanceOf(cls);
  });

  it("a budget refusal is a 429 rate_limit_error naming insufficient_quota in details, which the SDK reads as errorCode", () => {
    const err = new GatewayError({
      status: 429,
      type: "insufficient_quota",
      code: "insufficient_quota",
      message: "budget spent",
      headers: { "x-should-retry": "false" },
    });
    const body = toAnthropicErrorBody(err);
    expect(body).toEqual({ type: "error", error: { type: "rate_limit_error", message: "budget spent", details: { error_code: "insufficient_quota" } } });
    const sdkErr = Anthropic.APIError.generate(429, body, undefined, new Headers());
    expect(sdkErr).toBeInstanceOf(Anthropic.RateLimitError);
    expect(sdkErr.errorCode).toBe("insufficient_quota");
  });
});
