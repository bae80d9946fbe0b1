import type { MiddlewareHandler } from "hono";
import type { z, ZodType } from "zod";
import type { AppEnv } from "../app-env";
import { GatewayError } from "../errors";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Deepest nesting of arrays and objects accepted in a request body, the body itself being level 1. Tool schemas
 * need some depth, never hundreds of levels, and every later step (validation, translation, serialising the
 * Bedrock request) walks the body recursively: an unbounded depth would overflow the stack there.
 */
export const MAX_JSON_DEPTH = 64;

/** Dotted JSON path as OpenAI reports `param` (e.g. `messages[1].content`). */
export function toParamPath(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || null;
}

/** The request body as text; a body the client cut off (it left while sending) is a 499, not the gateway's error. */
export async function readBodyText(c: { req: { text(): Promise<string> } }): Promise<string> {
  try {
    return await c.req.text();
  } catch (err) {
    throw GatewayError.bodyCutOff(err);
  }
}

/**
 * Parses, checks and validates a JSON body with zod. A wrong Content-Type, malformed JSON or nesting deeper than
 * MAX_JSON_DEPTH is a 400 before the schema runs; a schema failure names the first bad field. zod's own output
 * never reaches the client beyond that message. `onRaw` sees the parsed body before validation (even when it fails).
 */
export function jsonBody<T extends ZodType>(schema: T, onRaw?: (raw: unknown, c: Parameters<MiddlewareHandler<AppEnv>>[0]) => void) {
  const checkType: MiddlewareHandler<AppEnv> = async function checkContentType(c, next) {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_TYPE.test(type)) {
      throw GatewayError.invalidRequest(
        "Content-Type",
        `Request body must be JSON sent with 'Content-Type: application/json' (got ${type ? `'${type.slice(0, 64)}'` : "none"}).`,
        "invalid_content_type",
      );
    }
    await next();
  };
  const validate: MiddlewareHandler<AppEnv, string, { in: { json: z.input<T> }; out: { json: z.output<T> } }> = async function validateJsonBody(c, next) {
    const text = await readBodyText(c);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw GatewayError.invalidRequest(null, "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.", "invalid_json");
    }
    const { value: raw, tooDeepAt } = prepareJson(parsed);
    onRaw?.(raw, c as never);
    if (tooDeepAt) {
      const param = toParamPath(tooDeepAt)?.slice(0, 300) ?? null;
      throw GatewayError.invalidRequest(
        param,
        `Invalid value for '${param}': JSON is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects.`,
        "json_too_deep",
      );
    }
    const result = schema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const param = issue ? toParamPath(issue.path) : null;
      const detail = issue ? describeIssue(issue) : "invalid request body";
      throw GatewayError.invalidRequest(param, param ? `Invalid value for '${param}': ${detail}` : `Invalid request body: ${detail}`);
    }
    c.req.addValidatedData("json", result.data as object);
    await next();
  };
  return [checkType, validate] as const;
}

function describeIssue(issue: { code: string; message: string; path: readonly PropertyKey[] }): string {
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) return "this field is required.";
  return issue.message.endsWith(".") ? issue.message : `${issue.message}.`;
}

const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with each lone UTF-16 surrogate replaced by U+FFFD (pairs are kept). */
export function replaceLoneSurrogates(s: string): string {
  return ANY_SURROGATE.test(s) ? s.replace(LONE_SURROGATE, "\uFFFD") : s;
}

type Frame = { node: Record<string, unknown> | unknown[]; keys: string[] | null; next: number };

/**
 * One walk over a parsed body, with an explicit stack (no recursion, whatever the depth): finds the first value
 * nested deeper than `maxDepth` (its path, or null), and replaces lone surrogates in every string and key, in
 * place. JSON's `\uD800` escapes decode to lone surrogates, which UTF-8 cannot carry (RFC 3629 §3): Bedrock would
 * receive them as escapes again, so the gateway sends U+FFFD instead, as a UTF-8 decoder does for bad bytes.
 */
export function prepareJson(root: unknown, maxDepth = MAX_JSON_DEPTH): { value: unknown; tooDeepAt: (string | number)[] | null } {
  const holder: Record<string, unknown> = { root };
  const stack: Frame[] = [{ node: holder, keys: ["root"], next: 0 }];
  // path[i] is the key in stack[i] that leads to stack[i + 1]; path[0] is the holder's "root".
  const path: (string | number)[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const { node, keys } = top;
    if (top.next >= (keys ? keys.length : (node as unknown[]).length)) {
      stack.pop();
      path.pop();
      continue;
    }
    let key: string | number = keys ? keys[top.next]! : top.next;
    top.next++;
    if (typeof key === "string" && ANY_SURROGATE.test(key)) key = renameKey(node as Record<string, unknown>, key);
    const child = (node as Record<string | number, unknown>)[key];
    if (typeof child === "string") {
      if (ANY_SURROGATE.test(child)) setOwn(node, key, replaceLoneSurrogates(child));
    } else if (child !== null && typeof child === "object") {
      // The child sits at depth stack.length (the holder is depth 0, the body depth 1).
      if (stack.length > maxDepth) return { value: holder.root, tooDeepAt: [...path, key].slice(1) };
      path.push(key);
      stack.push({ node: child as Frame["node"], keys: Array.isArray(child) ? null : Object.keys(child), next: 0 });
    }
  }
  return { value: holder.root, tooDeepAt: null };
}

function renameKey(node: Record<string, unknown>, key: string): string {
  const fixed = replaceLoneSurrogates(key);
  if (fixed === key) return key;
  const value = node[key];
  delete node[key];
  setOwn(node, fixed, value);
  return fixed;
}

// defineProperty, so a key named `__proto__` (an own property after JSON.parse) is set as data, not as the prototype.
function setOwn(node: Frame["node"], key: string | number, value: unknown): void {
  if (Array.isArray(node)) node[key as number] = value;
  else Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}
