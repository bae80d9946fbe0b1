/**
 * Bedrock's error shape for the Bedrock-native door: the exception name in `x-amzn-ErrorType` and
 * `{"message": "..."}` as the body, with the HTTP status the service model gives that exception, so the AWS SDKs
 * raise their usual classes (ValidationException, ThrottlingException…) and retry what they retry for Bedrock
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html). The gateway's own refusals use
 * the names AWS uses for the same situation: a key the gateway does not accept is UnrecognizedClientException
 * (403, AWS's answer to credentials it does not recognise, not retried by the SDKs); a request rate limit is
 * ThrottlingException (429, retried); a spent budget, or a request that can never fit a token limit, is
 * ServiceQuotaExceededException (400 in the service model, so the SDKs do not retry it).
 */
import type { GatewayError } from "../../errors";
import type { ErrorShape } from "../error-shapes";

export type BedrockExceptionName =
  | "ValidationException"
  | "AccessDeniedException"
  | "ResourceNotFoundException"
  | "ThrottlingException"
  | "ServiceQuotaExceededException"
  | "ModelTimeoutException"
  | "ModelNotReadyException"
  | "ModelErrorException"
  | "ModelStreamErrorException"
  | "InternalServerException"
  | "ServiceUnavailableException"
  | "UnrecognizedClientException"
  | "UnknownOperationException";

/** Each exception's `error.httpStatusCode` in the service model (the last two are AWS's common errors). */
export const EXCEPTION_STATUS: Record<BedrockExceptionName, number> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 400,
  ModelTimeoutException: 408,
  ModelNotReadyException: 429,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  UnrecognizedClientException: 403,
  UnknownOperationException: 404,
};

/** Gateway error codes that name one Bedrock exception (Bedrock's own, mapped in bedrock/error-map.ts, and the gateway's). */
const BY_CODE: Record<string, BedrockExceptionName> = {
  invalid_api_key: "UnrecognizedClientException",
  caller_signed_request: "UnrecognizedClientException",
  unknown_url: "UnknownOperationException",
  model_not_found: "ResourceNotFoundException",
  model_access_denied: "AccessDeniedException",
  rate_limit_exceeded: "ThrottlingException",
  quota_exceeded: "ServiceQuotaExceededException",
  insufficient_quota: "ServiceQuotaExceededException",
  model_timeout: "ModelTimeoutException",
  upstream_timeout: "ModelTimeoutException",
  model_not_ready: "ModelNotReadyException",
  model_error: "ModelErrorException",
  model_stream_error: "ModelStreamErrorException",
  service_unavailable: "ServiceUnavailableException",
  shutting_down: "ServiceUnavailableException",
};

/** The Bedrock exception a gateway error is answered with. */
export function bedrockExceptionOf(err: GatewayError): BedrockExceptionName {
  const byCode = err.code ? BY_CODE[err.code] : undefined;
  // A tokens-per-minute limit the request can never fit (x-should-retry: false) is not worth the SDK's retries.
  if (byCode === "ThrottlingException" && err.headers?.["x-should-retry"] === "false") return "ServiceQuotaExceededException";
  if (byCode) return byCode;
  if (err.status === 401) return "UnrecognizedClientException";
  if (err.status === 403) return "AccessDeniedException";
  if (err.status === 404) return "ResourceNotFoundException";
  if (err.status === 429) return "ThrottlingException";
  if (err.status === 503) return "ServiceUnavailableException";
  if (err.status === 504) return "ModelTimeoutException";
  if (err.status < 500) return "ValidationException";
  return "InternalServerException";
}

const KEY_HELP =
  "Send a gateway key as a Bearer token: Authorization: Bearer <gateway key> (AWS SDKs and Claude Code: AWS_BEARER_TOKEN_BEDROCK=<gateway key>). AWS credentials are not accepted here: the gateway signs for Bedrock itself.";

/** The body's message: the gateway's own, with how to authenticate for key refusals. */
export function bedrockErrorMessage(err: GatewayError): string {
  if (err.code === "invalid_api_key") return `The gateway key is missing or not valid. ${KEY_HELP}`;
  return err.message;
}

export const bedrockErrorShape: ErrorShape = {
  body: (err) => ({ message: bedrockErrorMessage(err) }),
  headers: (err) => ({ "x-amzn-ErrorType": bedrockExceptionOf(err) }),
  status: (err) => EXCEPTION_STATUS[bedrockExceptionOf(err)],
};
