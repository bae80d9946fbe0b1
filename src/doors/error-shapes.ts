/**
 * The core raises one GatewayError; each door renders it in its own API's shape. The door is chosen by path, so
 * errors raised before a door's handler runs (authentication, body limits, admission) still speak that door's
 * language: an Anthropic SDK must see Anthropic's error body for a bad key, an AWS SDK Bedrock's.
 */
import { type GatewayError, toOpenAIErrorBody } from "../errors";

export type ErrorShape = {
  /** Body and content type for this error. */
  body(err: GatewayError): unknown;
  /** Extra headers the door's clients read (e.g. Bedrock's `x-amzn-ErrorType`). */
  headers?(err: GatewayError): Record<string, string>;
  /** The status the door answers with, when its API maps statuses differently (Anthropic's 529 for overload). */
  status?(err: GatewayError): number;
};

export const openAIErrorShape: ErrorShape = { body: toOpenAIErrorBody };

export type DoorErrorShapes = { prefix: string; shape: ErrorShape }[];

/** The shape for a path: the longest matching prefix, else OpenAI's (the gateway's first door). */
export function errorShapeFor(path: string, doors: DoorErrorShapes): ErrorShape {
  let best: { prefix: string; shape: ErrorShape } | undefined;
  for (const d of doors) if (path.startsWith(d.prefix) && (!best || d.prefix.length > best.prefix.length)) best = d;
  return best?.shape ?? openAIErrorShape;
}

/** An error as the door at `path` answers it: status, headers (the shape's, `retry-after`) and body. */
export function renderError(path: string, err: GatewayError, doors: DoorErrorShapes): { status: number; headers: Record<string, string>; body: unknown } {
  const shape = errorShapeFor(path, doors);
  const headers: Record<string, string> = { ...err.headers, ...shape.headers?.(err) };
  if (err.retryAfter !== undefined) headers["retry-after"] = String(err.retryAfter);
  return { status: shape.status?.(err) ?? err.status, headers, body: shape.body(err) };
}
