/**
 * Checks a JSON value against a shape of Bedrock Runtime's service model (the botocore JSON in
 * test/fixtures/bedrock-runtime.service-2.json, a copy of the model AWS publishes with its SDKs): required
 * members, unknown members, unions (exactly one member set), enums, string and list lengths, numeric ranges,
 * patterns, blobs as base64. Members bound to the URI or headers are not part of a JSON body and are skipped.
 */
import { readFileSync } from "node:fs";

type Member = { shape: string; location?: string };
type Shape = {
  type: string;
  members?: Record<string, Member>;
  required?: string[];
  member?: Member;
  key?: Member;
  value?: Member;
  min?: number;
  max?: number;
  enum?: string[];
  pattern?: string;
  union?: boolean;
  document?: boolean;
};

const model = JSON.parse(readFileSync(new URL("../fixtures/bedrock-runtime.service-2.json", import.meta.url), "utf8")) as {
  shapes: Record<string, Shape>;
};

const patterns = new Map<string, RegExp | null>();
function patternOf(p: string): RegExp | null {
  if (!patterns.has(p)) {
    let re: RegExp | null = null;
    try {
      // AWS services match the whole value ("Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+" for `get weather`).
      re = new RegExp(`^(?:${p})$`, "u");
    } catch {
      re = null;
    }
    patterns.set(p, re);
  }
  return patterns.get(p)!;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every problem found, as `path: what`; empty when the value fits the shape. */
export function validateShape(shapeName: string, value: unknown, path = "$"): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  const out: string[] = [];
  const range = (n: number, what: string) => {
    if (shape.min !== undefined && n < shape.min) out.push(`${path}: ${what} ${n} < min ${shape.min}`);
    if (shape.max !== undefined && n > shape.max) out.push(`${path}: ${what} ${n} > max ${shape.max}`);
  };
  switch (shape.type) {
    case "structure": {
      if (shape.document) {
        if (value === undefined) out.push(`${path}: document is undefined`);
        return out;
      }
      if (!isObject(value)) return [`${path}: expected a structure (${shapeName})`];
      const members = shape.members ?? {};
      const present = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
      for (const k of present) if (!members[k]) out.push(`${path}.${k}: not a member of ${shapeName}`);
      for (const r of shape.required ?? []) {
        if (members[r]?.location) continue;
        if (value[r] === undefined || value[r] === null) out.push(`${path}.${r}: required by ${shapeName}`);
      }
      if (shape.union && present.length !== 1) out.push(`${path}: union ${shapeName} must have exactly one member, has [${present.join(", ")}]`);
      for (const k of present) {
        const m = members[k];
        if (m && !m.location) out.push(...validateShape(m.shape, value[k], `${path}.${k}`));
      }
      return out;
    }
    case "list":
      if (!Array.isArray(value)) return [`${path}: expected a list (${shapeName})`];
      range(value.length, "length");
      value.forEach((v, i) => out.push(...validateShape(shape.member!.shape, v, `${path}[${i}]`)));
      return out;
    case "map":
      if (!isObject(value)) return [`${path}: expected a map (${shapeName})`];
      range(Object.keys(value).length, "entries");
      for (const [k, v] of Object.entries(value)) {
        out.push(...validateShape(shape.key!.shape, k, `${path}{key ${k}}`));
        out.push(...validateShape(shape.value!.shape, v, `${path}.${k}`));
      }
      return out;
    case "string": {
      if (typeof value !== "string") return [`${path}: expected a string (${shapeName})`];
      range([...value].length, "length");
      if (shape.enum && !shape.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in [${shape.enum.join(", ")}]`);
      const re = shape.pattern ? patternOf(shape.pattern) : null;
      if (re && !re.test(value)) out.push(`${path}: ${JSON.stringify(value.slice(0, 80))} does not match ${shape.pattern}`);
      return out;
    }
    case "integer":
    case "long":
      if (typeof value !== "number" || !Number.isInteger(value)) return [`${path}: expected an integer (${shapeName})`];
      range(value, "value");
      return out;
    case "float":
    case "double":
      if (typeof value !== "number" || !Number.isFinite(value)) return [`${path}: expected a number (${shapeName})`];
      range(value, "value");
      return out;
    case "boolean":
      return typeof value === "boolean" ? out : [`${path}: expected a boolean`];
    case "blob": {
      if (typeof value !== "string" || !BASE64.test(value)) return [`${path}: expected base64 (${shapeName})`];
      const bytes = (value.length / 4) * 3 - (value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0);
      range(bytes, "bytes");
      return out;
    }
    case "timestamp":
      return typeof value === "number" || typeof value === "string" ? out : [`${path}: expected a timestamp`];
    default:
      return [`${path}: unhandled shape type ${shape.type}`];
  }
}
