/**
 * Bedrock errors as the real service sends them: HTTP status + `x-amzn-ErrorType: <Name>:<namespace>` +
 * JSON `{"message": ...}` + `x-amzn-RequestId`. Statuses of service errors come from the botocore service model
 * (`bedrock-runtime.service-2.json`, `error.httpStatusCode`); auth and routing errors come from the AWS front door.
 */
import type { ServerResponse } from "node:http";

export const SERVICE_EXCEPTIONS = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
} as const;

/** Errors of the AWS front door (authentication, routing), not in the service model. */
export const FRONT_DOOR_EXCEPTIONS = {
  UnknownOperationException: 404,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  ExpiredTokenException: 403,
} as const;

export type ExceptionName = keyof typeof SERVICE_EXCEPTIONS | keyof typeof FRONT_DOOR_EXCEPTIONS;

/** Exception members of the ConverseStream output union (`:exception-type` values). */
export const STREAM_EXCEPTIONS = [
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException",
] as const;
export type StreamExceptionType = (typeof STREAM_EXCEPTIONS)[number];

const SERVICE_NS = "http://internal.amazon.com/coral/com.amazon.bedrock/";
const FRONT_DOOR_NS = "http://internal.amazon.com/coral/com.amazon.coral.service/";

/** Messages the real service uses for these errors (as seen in SDK error reports). */
const DEFAULT_MESSAGES: Record<ExceptionName, string> = {
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ConflictException: "The request could not be completed because of a conflict.",
  InternalServerException: "The system encountered an unexpected error during processing. Try your request again.",
  ModelErrorException: "The system encountered an unexpected error during processing. Try your request again.",
  ModelNotReadyException: "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times.",
  ModelStreamErrorException: "The model encountered an error while streaming the response.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ResourceNotFoundException: "The requested resource could not be found.",
  ServiceQuotaExceededException:
    "Your request exceeded the service quota for your account. You can view your quotas at https://docs.aws.amazon.com/servicequotas/latest/userguide/gs-request-quota.html. You can resubmit your request later.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  ThrottlingException: "Too many requests, please wait before trying again.",
  ValidationException: "The request failed validation.",
  UnknownOperationException: "Unknown operation: the path does not name a Bedrock Runtime or Bedrock operation.",
  MissingAuthenticationTokenException: "Missing Authentication Token",
  UnrecognizedClientException: "The security token included in the request is invalid.",
  InvalidSignatureException:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  IncompleteSignatureException: "The request signature does not conform to AWS standards.",
  ExpiredTokenException: "The security token included in the request is expired",
};

export function isExceptionName(name: string): name is ExceptionName {
  return name in SERVICE_EXCEPTIONS || name in FRONT_DOOR_EXCEPTIONS;
}

export function exceptionStatus(name: ExceptionName): number {
  return (SERVICE_EXCEPTIONS as Record<string, number>)[name] ?? (FRONT_DOOR_EXCEPTIONS as Record<string, number>)[name]!;
}

/** Extra members some exceptions carry (service model shapes). */
function extraMembers(name: ExceptionName): Record<string, unknown> {
  if (name === "ModelErrorException") return { originalStatusCode: 500, resourceName: "simulated-model" };
  if (name === "ModelStreamErrorException") return { originalStatusCode: 500, originalMessage: "Internal model error (simulated)" };
  return {};
}

export class SimError extends Error {
  readonly status: number;
  readonly extra: Record<string, unknown>;
  constructor(
    readonly type: ExceptionName,
    message?: string,
    extra?: Record<string, unknown>,
  ) {
    super(message ?? DEFAULT_MESSAGES[type]);
    this.status = exceptionStatus(type);
    this.extra = { ...extraMembers(type), ...extra };
  }
}

export const validation = (message: string) => new SimError("ValidationException", message);

/** Errors a model provider raised, wrapped the way Bedrock wraps them. */
export const modelValidation = (message: string) => validation(`The model returned the following errors: ${message}`);

export function sendError(res: ServerResponse, err: SimError): void {
  const ns = err.type in FRONT_DOOR_EXCEPTIONS ? FRONT_DOOR_NS : SERVICE_NS;
  const body = JSON.stringify({ message: err.message, ...err.extra });
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-amzn-ErrorType": `${err.type}:${ns}`,
  });
  res.end(body);
}

export function streamExceptionMessage(type: StreamExceptionType): { message: string; [k: string]: unknown } {
  const name = (type[0]!.toUpperCase() + type.slice(1)) as ExceptionName;
  return { message: DEFAULT_MESSAGES[name], ...extraMembers(name) };
}
