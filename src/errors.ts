/**
 * The gateway's one error type. Every failure leaves through `toOpenAIErrorBody`, so clients
 * always see OpenAI's `{"error":{message,type,param,code}}` with a status openai-node classifies
 * correctly (400 BadRequest, 401 Authentication, 403 PermissionDenied, 404 NotFound, 429 RateLimit, >=500 InternalServer).
 */
import { mapBedrockErrorType } from "./bedrock/error-map";

export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "timeout_error"
  | "server_error"
  | "upstream_error";

export type OpenAIErrorBody = {
  error: { message: string; type: OpenAIErrorType | string; param: string | null; code: string | null };
};

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  /** Seconds to wait before retrying, sent as `retry-after`. */
  readonly retryAfter?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  readonly headers?: Record<string, string>;

  constructor(init: {
    status: number;
    message: string;
    type: string;
    code?: string | null;
    param?: string | null;
    retryAfter?: number;
    headers?: Record<string, string>;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "GatewayError";
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.retryAfter = init.retryAfter;
    this.headers = init.headers;
  }

  static invalidRequest(param: string | null, message: string, code: string | null = null): GatewayError {
    return new GatewayError({ status: 400, type: "invalid_request_error", param, message, code });
  }

  static invalidApiKey(message = "Incorrect API key provided."): GatewayError {
    return new GatewayError({ status: 401, type: "invalid_request_error", code: "invalid_api_key", message });
  }

  static notFound(message: string, code: string | null = null, param: string | null = null): GatewayError {
    return new GatewayError({ status: 404, type: "invalid_request_error", code, param, message });
  }

  static modelNotFound(model: string): GatewayError {
    return new GatewayError({
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
    });
  }

  static payloadTooLarge(limitBytes: number): GatewayError {
    return new GatewayError({
      status: 413,
      type: "invalid_request_error",
      code: "request_too_large",
      message: `Request body exceeds the gateway's limit of ${limitBytes} bytes.`,
    });
  }

  static rateLimited(message: string, retryAfter?: number, code = "rate_limit_exceeded"): GatewayError {
    return new GatewayError({ status: 429, type: "rate_limit_error", code, message, retryAfter });
  }

  static upstream(message: string, code = "upstream_error", status = 502): GatewayError {
    return new GatewayError({ status, type: "server_error", code, message });
  }

  /** A graceful stop refusing a request, or ending a stream still open at its drain deadline: retry elsewhere. */
  /** The client left before its request body was in (the row says aborted/499; nobody is there to read the answer). */
  static bodyCutOff(cause?: unknown): GatewayError {
    return new GatewayError({
      status: 499,
      type: "invalid_request_error",
      code: "client_closed_request",
      message: "The client closed the request before its body was read.",
      cause,
    });
  }

  static shuttingDown(): GatewayError {
    return new GatewayError({
      status: 503,
      type: "server_error",
      code: "shutting_down",
      message: "The gateway is shutting down; retry the request.",
      retryAfter: 1,
    });
  }

  static internal(message = "The gateway had an internal error; the request id identifies it in the logs."): GatewayError {
    return new GatewayError({ status: 500, type: "server_error", code: "internal_error", message });
  }

  /** Builds the client-facing error for a Bedrock error answer (HTTP status, `x-amzn-ErrorType`, body message). */
  static fromBedrock(httpStatus: number, errorType: string | null, message: string | null): GatewayError {
    const m = mapBedrockErrorType(errorType, httpStatus, message);
    const text = m.message ?? (message?.trim() ? message : `Bedrock answered ${httpStatus}${errorType ? ` (${errorType})` : ""}.`);
    const param = m.code === "model_not_found" ? "model" : null;
    return new GatewayError({ status: m.status, type: m.type, code: m.code, param, message: text, retryAfter: m.retryAfter });
  }
}

export function toOpenAIErrorBody(err: GatewayError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}
