/**
 * The Bedrock-native door in: the raw model segment of the path, and the JSON body checked against the
 * operation's request shape (InvokeModel bodies are the model's own JSON, checked by Bedrock). Pure.
 */
import { GatewayError } from "../../errors";
import { MAX_JSON_DEPTH, prepareJson, toParamPath } from "../../http/json-body";
import { checkBody } from "./check-body";
import type { BedrockOperation } from "./model-id";
import { REQUEST_SHAPES } from "./request-shapes";

const ROOT_SHAPE: Partial<Record<BedrockOperation, string>> = {
  converse: "ConverseRequest",
  "converse-stream": "ConverseStreamRequest",
  "count-tokens": "CountTokensRequest",
};

/**
 * The `{modelId}` segment of `/bedrock/model/{modelId}/{op}` exactly as it arrived (still percent-encoded): the
 * router's own decoding is not used, so the id is decoded exactly once, by modelIdFromPath.
 */
export function rawModelSegment(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").split(/[?#]/, 1)[0]!;
  const parts = path.split("/");
  const at = parts.indexOf("model");
  return at >= 0 ? (parts[at + 1] ?? "") : "";
}

/** Bedrock's own wording for a body that is not JSON. */
const MALFORMED = "Malformed input request, please reformat your input and try again.";

/** Parses and checks the body of `op`; throws a 400 (ValidationException) naming the problem. */
export function parseRequestBody(op: BedrockOperation, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw GatewayError.invalidRequest(null, MALFORMED, "invalid_json");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw GatewayError.invalidRequest(null, MALFORMED, "invalid_json");
  // prepareJson walks without recursion; the shape check after it may then assume a bounded depth.
  const { value, tooDeepAt } = prepareJson(parsed);
  if (tooDeepAt) {
    const param = toParamPath(tooDeepAt)?.slice(0, 300) ?? null;
    throw GatewayError.invalidRequest(
      param,
      `Invalid value for '${param}': JSON is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects.`,
      "json_too_deep",
    );
  }
  const root = ROOT_SHAPE[op];
  if (root) checkBody(REQUEST_SHAPES, root, value);
  return value as Record<string, unknown>;
}
