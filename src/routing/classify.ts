/**
 * What a failed attempt allows next, before the first byte has reached the client:
 *   "next"  throttling, quota or a model that is not ready: per model and region, so the next target is tried;
 *   "same"  a transient fault (5xx, timeout, network): the same target once more, then the next;
 *   "never" the request itself is at fault (validation, access, auth): retrying would fail the same way.
 * Error names and statuses are those of the Bedrock Runtime API reference, "Common Errors" and each operation's
 * "Errors" section (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
 */
import { normaliseErrorType } from "../bedrock/error-map";
import { GatewayError } from "../errors";

export type RetryClass = "next" | "same" | "never";

const BY_TYPE: Record<string, RetryClass> = {
  ThrottlingException: "next",
  ServiceQuotaExceededException: "next",
  ModelNotReadyException: "next",
  InternalServerException: "same",
  ServiceUnavailableException: "same",
  ModelTimeoutException: "same",
  ValidationException: "never",
  AccessDeniedException: "never",
  ResourceNotFoundException: "never",
  ConflictException: "never",
  ModelErrorException: "never",
  ModelStreamErrorException: "never",
  UnrecognizedClientException: "never",
  InvalidSignatureException: "never",
  IncompleteSignatureException: "never",
  ExpiredTokenException: "never",
  MissingAuthenticationTokenException: "never",
};

/** An error answer from Bedrock (`x-amzn-ErrorType`, or a stream's `:exception-type`, and the HTTP status). */
export function classifyBedrockError(errorType: string | null, httpStatus: number): RetryClass {
  const known = BY_TYPE[normaliseErrorType(errorType) ?? ""];
  if (known) return known;
  if (httpStatus === 429) return "next";
  if (httpStatus === 408 || httpStatus >= 500) return "same";
  return "never";
}

/** Gateway codes of failures that happen to a target rather than to the request. */
const BY_CODE: Record<string, RetryClass> = {
  rate_limit_exceeded: "next",
  quota_exceeded: "next",
  model_not_ready: "next",
  service_unavailable: "same",
  model_timeout: "same",
  upstream_timeout: "same",
  upstream_unavailable: "same",
  upstream_malformed_stream: "same",
};

/**
 * A GatewayError from one attempt that carries no class of its own (an exception frame decoded before the first
 * event): classified by its code. InternalServerException maps to a bare 500.
 */
export function classifyGatewayError(err: GatewayError): RetryClass {
  const byCode = err.code ? BY_CODE[err.code] : undefined;
  if (byCode) return byCode;
  return err.status === 500 && err.code === null ? "same" : "never";
}

/** A failed attempt, with what it allows next. */
export class AttemptError extends GatewayError {
  readonly retry: RetryClass;
  constructor(err: GatewayError, retry: RetryClass) {
    super({
      status: err.status,
      message: err.message,
      type: err.type,
      code: err.code,
      param: err.param,
      retryAfter: err.retryAfter,
      headers: err.headers,
      cause: err.cause,
    });
    this.retry = retry;
  }
}

/** The class of anything an attempt threw; errors that are not the gateway's own are bugs, never retried. */
export function retryClassOf(err: unknown): RetryClass {
  if (err instanceof AttemptError) return err.retry;
  if (err instanceof GatewayError) return classifyGatewayError(err);
  return "never";
}
