import { zValidator } from "@hono/zod-validator";
import { z, type ZodType } from "zod";
import { GatewayError } from "../errors";
import { toParamPath } from "./json-body";

/**
 * `zValidator("query", schema)` whose failure is a GatewayError naming the first bad query word, with the schema's
 * message: the app's (or the admin console's) onError renders it in the door's own error shape, never zod's output.
 * Query values arrive as hono's validator gives them: a string, or an array when the word is repeated.
 */
export function validQuery<T extends ZodType>(schema: T, code: string | null = null) {
  return zValidator("query", schema, (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    const param = issue ? toParamPath(issue.path) : null;
    throw GatewayError.invalidRequest(param, issue?.message ?? "The query string is not valid.", code);
  });
}

/** A query word given at most once. */
export const once = (name: string) => z.string({ error: `${name} must be given once.` }).optional();

/** A query word that may be repeated (`include=a&include=b`), as a list. */
export const repeated = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .optional();
