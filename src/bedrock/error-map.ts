/**
 * Bedrock exception → gateway status / OpenAI type / code. Statuses follow openai-node's retry rules:
 * it retries 408, 409, 429 and >=500, so only transient upstream faults get those.
 */
export type BedrockErrorMapping = {
  status: number;
  type: string;
  code: string | null;
  retryAfter?: number;
  /** Replaces Bedrock's message when it would mislead or leak (e.g. upstream auth failures). */
  message?: string;
  /** Whether the gateway may retry this before the first byte is sent. */
  retryable: boolean;
};

export const BEDROCK_ERROR_TYPES = [
  "ValidationException",
  "AccessDeniedException",
  "ResourceNotFoundException",
  "ThrottlingException",
  "ServiceQuotaExceededException",
  "ModelTimeoutException",
  "ModelNotReadyException",
  "ModelErrorException",
  "InternalServerException",
  "ServiceUnavailableException",
  "ModelStreamErrorException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
] as const;
export type BedrockErrorType = (typeof BEDROCK_ERROR_TYPES)[number];

const UPSTREAM_AUTH =
  "The gateway could not authenticate to Bedrock (its AWS credentials were rejected). This is a gateway configuration problem; your API key is fine.";

/** Normalises `x-amzn-ErrorType` / `__type` values: strips `:namespace` suffixes and `prefix#`, fixes case of stream exception names. */
export function normaliseErrorType(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let t = raw.split(":")[0]!.trim();
  const hash = t.lastIndexOf("#");
  if (hash >= 0) t = t.slice(hash + 1);
  if (!t) return null;
  return t[0]!.toUpperCase() + t.slice(1);
}

/** Bedrock reports an unknown (but well-formed) model id as a ValidationException with this message. */
const INVALID_MODEL_ID = /provided model identifier is invalid/i;

export function mapBedrockErrorType(rawType: string | null, httpStatus: number, message?: string | null): BedrockErrorMapping {
  const t = normaliseErrorType(rawType);
  if (t === "ValidationException" && message && INVALID_MODEL_ID.test(message)) {
    return { status: 404, type: "invalid_request_error", code: "model_not_found", retryable: false };
  }
  switch (t as BedrockErrorType | null) {
    case "ValidationException":
      return { status: 400, type: "invalid_request_error", code: null, retryable: false };
    case "AccessDeniedException":
      return {
        status: 403,
        type: "invalid_request_error",
        code: "model_access_denied",
        retryable: false,
        message: "The gateway's AWS role is not allowed to invoke this model (Bedrock AccessDeniedException). Ask the gateway admin to enable model access.",
      };
    case "ResourceNotFoundException":
      return { status: 404, type: "invalid_request_error", code: "model_not_found", retryable: false };
    case "ThrottlingException":
      return { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", retryAfter: 1, retryable: true };
    case "ServiceQuotaExceededException":
      return { status: 429, type: "rate_limit_error", code: "quota_exceeded", retryAfter: 5, retryable: false };
    case "ModelTimeoutException":
      return { status: 504, type: "timeout_error", code: "model_timeout", retryable: true };
    case "ModelNotReadyException":
      return { status: 503, type: "server_error", code: "model_not_ready", retryAfter: 5, retryable: true };
    case "ModelErrorException":
      return { status: 502, type: "server_error", code: "model_error", retryable: false };
    case "InternalServerException":
      return { status: 500, type: "server_error", code: null, retryable: true };
    case "ServiceUnavailableException":
      return { status: 503, type: "server_error", code: "service_unavailable", retryAfter: 1, retryable: true };
    case "ModelStreamErrorException":
      return { status: 502, type: "server_error", code: "model_stream_error", retryable: false };
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
    case "ExpiredTokenException":
    case "MissingAuthenticationTokenException":
    case "IncompleteSignatureException":
      return { status: 502, type: "server_error", code: "upstream_auth_failed", retryable: false, message: UPSTREAM_AUTH };
    default:
      return mapByStatus(httpStatus);
  }
}

function mapByStatus(status: number): BedrockErrorMapping {
  if (status === 429) return { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", retryAfter: 1, retryable: true };
  if (status === 403 || status === 401) return { status: 502, type: "server_error", code: "upstream_auth_failed", retryable: false, message: UPSTREAM_AUTH };
  if (status === 404) return { status: 404, type: "invalid_request_error", code: "model_not_found", retryable: false };
  if (status === 408) return { status: 504, type: "timeout_error", code: "model_timeout", retryable: true };
  if (status >= 400 && status < 500) return { status: 400, type: "invalid_request_error", code: null, retryable: false };
  if (status === 503) return { status: 503, type: "server_error", code: "service_unavailable", retryAfter: 1, retryable: true };
  return { status: 502, type: "server_error", code: "upstream_error", retryable: status >= 500 };
}
