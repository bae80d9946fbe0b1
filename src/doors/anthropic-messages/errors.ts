/**
 * Anthropic's error shape (https://docs.anthropic.com/en/api/errors): `{"type":"error","error":{"type","message"}}`
 * with Anthropic's statuses, so the Anthropic SDKs raise the matching class (AuthenticationError, NotFoundError,
 * RateLimitError, OverloadedError…). Bedrock's ServiceUnavailable and ModelNotReady become 529 `overloaded_error`,
 * as Anthropic answers when it is short of capacity; throttling stays 429 `rate_limit_error`.
 */
import type { ErrorShape } from "../error-shapes";
import type { GatewayError } from "../../errors";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

export type AnthropicErrorBody = {
  type: "error";
  error: { type: AnthropicErrorType; message: string; details?: { error_code: string } };
};

/** The status Anthropic answers with for this error. */
export function anthropicStatus(err: GatewayError): number {
  return err.status === 503 ? 529 : err.status;
}

export function anthropicErrorType(err: GatewayError): AnthropicErrorType {
  const status = anthropicStatus(err);
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status < 500 ? "invalid_request_error" : "api_error";
  }
}

/**
 * A budget refusal has no Anthropic type of its own: Anthropic answers a spent limit with 429 `rate_limit_error`
 * and names it in `error.details.error_code` (read by the SDK as `errorCode`); the refusal's `x-should-retry: false`
 * stops the SDK's automatic retries.
 */
export function toAnthropicErrorBody(err: GatewayError): AnthropicErrorBody {
  const body: AnthropicErrorBody = { type: "error", error: { type: anthropicErrorType(err), message: err.message } };
  if (err.type === "insufficient_quota") body.error.details = { error_code: "insufficient_quota" };
  return body;
}

export const anthropicErrorShape: ErrorShape = { body: toAnthropicErrorBody, status: anthropicStatus };
