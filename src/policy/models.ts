/**
 * Model allowlists, pure. A list holds model ids, aliases or wildcards (`anthropic.*`, `claude-*`); a request
 * must be allowed at every level that has a list (key, user, team), so a key can narrow what its user and team
 * allow but never widen it. Lists are matched against what the request resolves to (the catalogue entry's names
 * and the Bedrock ids of its targets), never against the raw string alone, so spelling a model another way
 * (an alias, its Bedrock id, an inference profile) reaches the same decision.
 */

/** Cross-region inference profile prefixes (Bedrock user guide, "Supported Regions and models for inference profiles"). */
const REGION_PREFIX = /^(us|eu|apac|jp|au|ca|us-gov|global)\./;

/** `us.anthropic.claude-…` → `anthropic.claude-…`; other ids unchanged. */
export function stripRegionPrefix(id: string): string {
  return id.replace(REGION_PREFIX, "");
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`);
}

const compiled = new Map<string, RegExp | string>();
function compile(pattern: string): RegExp | string {
  let c = compiled.get(pattern);
  if (c === undefined) {
    c = pattern.includes("*") ? globToRegExp(pattern) : pattern;
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, c);
  }
  return c;
}

/** Whether one list entry matches a name or a Bedrock id (with or without its cross-region prefix). */
export function patternMatches(pattern: string, name: string): boolean {
  const p = compile(pattern);
  const bare = stripRegionPrefix(name);
  if (typeof p === "string") return p === name || p === bare;
  return p.test(name) || p.test(bare);
}

export type ModelCandidate = {
  /** The catalogue entry's alias and other names (empty for a raw Bedrock id that the catalogue does not list). */
  names: readonly string[];
  /** Bedrock ids of its ordered targets. */
  targetIds: readonly string[];
};

/**
 * The targets a request may use, in order: a target survives when every non-null list allows the entry by one
 * of its names or allows that target's id. An empty result means the model is not allowed.
 */
export function allowedTargets(lists: readonly (readonly string[] | null | undefined)[], model: ModelCandidate): string[] {
  const active = lists.filter((l): l is readonly string[] => Array.isArray(l));
  return model.targetIds.filter((target) =>
    active.every((list) => list.some((pattern) => model.names.some((n) => patternMatches(pattern, n)) || patternMatches(pattern, target))),
  );
}

const BARE_ID = /^[a-z0-9]+\.[a-z0-9]+(?:[-.:][a-z0-9]+)*$/;
/** A model id, or a cross-region profile id: a known prefix, then a model id (`us.nova-lite` is neither). */
const isPlainId = (id: string) => BARE_ID.test(stripRegionPrefix(id));
const ARN_ID =
  /^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]+:(\d{12})?:(foundation-model|inference-profile|application-inference-profile|provisioned-model|prompt|default-prompt-router)\/(.+)$/;
const RESOURCE_ID = /^[a-z0-9]+$/;
const VERSIONED = /^[A-Za-z0-9]+(?::\d+)?$/;

/**
 * Whether a model name the catalogue does not list is spelled as Bedrock spells its ids: a (cross-region profile)
 * model id in lower case, or a Bedrock ARN of a kind that can be invoked. Anything else (whitespace, encoded or
 * path characters, case tricks) never reaches the allowlists or the upstream path.
 */
export function isWellFormedModelId(id: string): boolean {
  if (isPlainId(id)) return true;
  const arn = ARN_ID.exec(id);
  if (!arn) return false;
  const [, , type, rest] = arn;
  switch (type) {
    case "foundation-model":
    case "inference-profile":
      return isPlainId(rest!);
    case "application-inference-profile":
    case "provisioned-model":
      return RESOURCE_ID.test(rest!);
    case "prompt":
      return VERSIONED.test(rest!);
    default:
      return /^[a-z0-9]+\.[a-z0-9-]+(?::\d+)?$/.test(rest!);
  }
}
