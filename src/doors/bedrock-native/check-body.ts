/**
 * A tolerant check of a Bedrock request body against the service model's shapes (request-shapes.ts): required
 * members, the JSON type of every member the model knows, unions with at most one member set. Members the model
 * does not know are left to Bedrock, so a field AWS adds later still passes; Bedrock validates the rest
 * (lengths, ranges, patterns, enums). Pure. The body's depth is bounded before this runs (http/json-body.ts).
 */
import { GatewayError } from "../../errors";

export type RequestShape = {
  type: "structure" | "list" | "map" | "string" | "integer" | "long" | "float" | "double" | "boolean" | "blob" | "timestamp" | "document";
  members?: Record<string, string>;
  required?: string[];
  union?: boolean;
  member?: string;
  value?: string;
};
export type RequestShapes = Record<string, RequestShape>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What a JSON value must be for a shape type, as the AWS JSON protocols serialise them. */
function typeProblem(type: RequestShape["type"], v: unknown): string | null {
  switch (type) {
    case "structure":
      return isObject(v) ? null : "must be an object";
    case "list":
      return Array.isArray(v) ? null : "must be a list";
    case "map":
      return isObject(v) ? null : "must be a map (an object)";
    case "string":
      return typeof v === "string" ? null : "must be a string";
    case "blob":
      return typeof v === "string" ? null : "must be a base64 string";
    case "integer":
    case "long":
      return typeof v === "number" && Number.isInteger(v) ? null : "must be an integer";
    case "float":
    case "double":
      return typeof v === "number" && Number.isFinite(v) ? null : "must be a number";
    case "boolean":
      return typeof v === "boolean" ? null : "must be a boolean";
    case "timestamp":
      return typeof v === "number" || typeof v === "string" ? null : "must be a timestamp";
    case "document":
      return null;
  }
}

/** `messages.0.content`: the dotted path Bedrock's own validation messages use (zero-based here). */
const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

/**
 * The first problem of `value` against the shape `root`, or null. Null members count as absent, as the AWS
 * SDKs send them.
 */
export function findBodyProblem(shapes: RequestShapes, root: string, value: unknown): { path: string; message: string } | null {
  const stack: { shape: string; value: unknown; path: string }[] = [{ shape: root, value, path: "" }];
  while (stack.length > 0) {
    const { shape: name, value: v, path } = stack.pop()!;
    const shape = shapes[name];
    if (!shape) continue;
    const problem = typeProblem(shape.type, v);
    if (problem) return { path: path || "body", message: `${path ? `'${path}'` : "The request body"} ${problem}.` };
    if (shape.type === "structure" && isObject(v)) {
      const members = shape.members ?? {};
      for (const r of shape.required ?? []) {
        if (v[r] === undefined || v[r] === null) return { path: at(path, r), message: `'${at(path, r)}' is required.` };
      }
      const known = Object.keys(v).filter((k) => Object.hasOwn(members, k) && v[k] !== undefined && v[k] !== null);
      if (shape.union && known.length > 1) {
        return { path: path || "body", message: `'${path}' must set exactly one of its members, but sets ${known.join(", ")}.` };
      }
      for (const k of known.reverse()) stack.push({ shape: members[k]!, value: v[k], path: at(path, k) });
    } else if (shape.type === "list" && Array.isArray(v) && shape.member) {
      for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null) stack.push({ shape: shape.member, value: v[i], path: at(path, i) });
    } else if (shape.type === "map" && isObject(v) && shape.value) {
      for (const k of Object.keys(v).reverse()) if (v[k] !== null) stack.push({ shape: shape.value, value: v[k], path: at(path, k) });
    }
  }
  return null;
}

/** Throws a 400 (rendered as Bedrock's ValidationException) naming the first problem. */
export function checkBody(shapes: RequestShapes, root: string, value: unknown): void {
  const problem = findBodyProblem(shapes, root, value);
  if (problem) throw GatewayError.invalidRequest(problem.path, `1 validation error detected: ${problem.message}`, "invalid_body");
}
