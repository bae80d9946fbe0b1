/**
 * The `{modelId}` of a Bedrock-native path, decoded once and checked before model policy sees it. AWS SDKs send
 * the id percent-encoded as one path segment (an ARN's `:` and `/` as `%3A` and `%2F`), so exactly one decoding
 * gives the id; whatever still looks encoded after it, or is spelled in a way Bedrock never spells ids (upper
 * case, whitespace, control or non-ASCII characters, `..`, a `/` outside an ARN's resource part), is refused
 * rather than guessed at, so policy and Bedrock can never read two different models out of one path. Pure.
 *
 * Foundation-model and inference-profile ARNs name their model by the resource id, and that id is what policy
 * resolves (the gateway sends the target it resolves to, in its own account and region). Prompt and prompt-router
 * ARNs are refused: the model they run is decided inside Bedrock, out of the gateway's policy's sight.
 */
import { GatewayError } from "../../errors";

export const BEDROCK_OPERATIONS = ["converse", "converse-stream", "invoke", "invoke-with-response-stream", "count-tokens"] as const;
export type BedrockOperation = (typeof BEDROCK_OPERATIONS)[number];

export function isBedrockOperation(op: string): op is BedrockOperation {
  return (BEDROCK_OPERATIONS as readonly string[]).includes(op);
}

/** InvokeModelIdentifier and ConversationalModelId: at most 2048 characters (service model). */
const MAX_ID = 2048;
/** A model id, inference profile id or catalogue alias: lower-case letters, digits, `.`, `_`, `-`, `:`. */
const NAME = /^[a-z0-9][a-z0-9._:-]*$/;
/** `arn:partition:bedrock:region:account:type/resource` (Bedrock user guide, "Amazon Bedrock resource ARNs"). */
const ARN = /^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{1,20}:(\d{12})?:([a-z-]+)\/([a-z0-9][a-z0-9._:-]*)$/;
/** ARN resource types whose resource part is the model (or profile) id itself. */
const BY_RESOURCE_ID = new Set(["foundation-model", "inference-profile"]);
/** ARN resource types passed on as the whole ARN (ids of the caller's account, matched by policy as they are). */
const WHOLE_ARN = new Set(["application-inference-profile", "provisioned-model", "imported-model", "custom-model-deployment"]);

const refuse = (message: string) => GatewayError.invalidRequest("modelId", message, "invalid_model_id");

/** The model name policy resolves, from the raw (still percent-encoded) path segment; throws a 400 otherwise. */
export function modelIdFromPath(rawSegment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(rawSegment);
  } catch {
    throw refuse("The provided model identifier is invalid: it is not validly percent-encoded.");
  }
  if (id.length === 0 || id.length > MAX_ID) throw refuse("The provided model identifier is invalid: it must have 1 to 2048 characters.");
  if (id.includes("%")) throw refuse("The provided model identifier is invalid: it is percent-encoded more than once.");
  if (id.includes("..")) throw refuse("The provided model identifier is invalid: it contains '..'.");
  if (id !== id.toLowerCase()) throw refuse("The provided model identifier is invalid: Bedrock model ids are lower case.");
  if (id.startsWith("arn:")) {
    const m = ARN.exec(id);
    if (!m) throw refuse("The provided model identifier is invalid: not a Bedrock model ARN.");
    const [, , type, resource] = m as unknown as [string, string | undefined, string, string];
    if (BY_RESOURCE_ID.has(type)) return resource;
    if (WHOLE_ARN.has(type)) return id;
    throw refuse(`The provided model identifier is invalid: ${type} ARNs are not accepted by this gateway; name the model instead.`);
  }
  if (!NAME.test(id)) throw refuse("The provided model identifier is invalid: it may contain only a-z, 0-9, '.', '_', '-' and ':'.");
  return id;
}
