import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import type { ZodType } from "zod";
import type { AppEnv } from "../app-env";
import { GatewayError } from "../errors";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Dotted JSON path as OpenAI reports `param` (e.g. `messages[1].content`). */
export function toParamPath(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || null;
}

/**
 * Validates a JSON body with zod. A wrong Content-Type or malformed JSON is a 400 before the schema runs;
 * a schema failure names the first bad field. zod's own output never reaches the client beyond that message.
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
  const validate = zValidator("json", schema, (result, c) => {
    onRaw?.((result as { data?: unknown }).data, c as never);
    if (!result.success) {
      const issue = result.error.issues[0];
      const param = issue ? toParamPath(issue.path) : null;
      const detail = issue ? describeIssue(issue) : "invalid request body";
      throw GatewayError.invalidRequest(param, param ? `Invalid value for '${param}': ${detail}` : `Invalid request body: ${detail}`);
    }
  });
  return [checkType, validate] as const;
}

function describeIssue(issue: { code: string; message: string; path: readonly PropertyKey[] }): string {
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) return "this field is required.";
  return issue.message.endsWith(".") ? issue.message : `${issue.message}.`;
}
