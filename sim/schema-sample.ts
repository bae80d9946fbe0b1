/**
 * Synthesises a JSON value that is valid against a (practical subset of) JSON Schema: used for tool inputs
 * (required properties only) and for structured output (every property). Deterministic: enums pick the first
 * value, strings use `text` (cut or padded to the length bounds), numbers the smallest allowed value >= 1.
 */

type Schema = Record<string, unknown>;
export type SampleOptions = { allProperties: boolean; text: string };

const FORMATS: Record<string, string> = {
  "date-time": "2025-01-01T00:00:00Z",
  date: "2025-01-01",
  time: "00:00:00Z",
  email: "user@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  ipv4: "192.0.2.1",
  hostname: "example.com",
};

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = isSchema(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return isSchema(node) ? node : {};
}

function sampleNumber(s: Schema, integer: boolean): number {
  const min = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + (integer ? 1 : 0.5) : undefined;
  const max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum - (integer ? 1 : 0.5) : undefined;
  let n = min ?? 1;
  if (max !== undefined && n > max) n = max;
  if (integer) n = Math.ceil(n);
  if (typeof s.multipleOf === "number" && s.multipleOf > 0) n = Math.ceil(n / s.multipleOf) * s.multipleOf;
  return n;
}

function sampleString(s: Schema, text: string): string {
  let out = typeof s.format === "string" && FORMATS[s.format] ? FORMATS[s.format]! : text;
  const chars = [...out];
  if (typeof s.maxLength === "number" && chars.length > s.maxLength) out = chars.slice(0, s.maxLength).join("");
  if (typeof s.minLength === "number" && [...out].length < s.minLength) out = out + "x".repeat(s.minLength - [...out].length);
  return out;
}

function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return (s.type as string[]).find((t) => t !== "null") ?? "null";
  if (typeof s.type === "string") return s.type;
  if (isSchema(s.properties)) return "object";
  if (s.items !== undefined) return "array";
  return undefined;
}

function sample(s: Schema, root: Schema, opts: SampleOptions, depth: number): unknown {
  if (depth > 12) return null;
  if (typeof s.$ref === "string") return sample(resolveRef(root, s.$ref), root, opts, depth + 1);
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf"] as const) {
    const first = Array.isArray(s[key]) ? ((s[key] as unknown[]).find((o) => isSchema(o) && o.type !== "null") ?? (s[key] as unknown[])[0]) : undefined;
    if (isSchema(first)) return sample(first, root, opts, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as unknown[]).filter(isSchema);
    const merged: Schema = { type: "object", properties: {}, required: [] };
    for (const p of parts) {
      Object.assign(merged.properties as Schema, isSchema(p.properties) ? p.properties : {});
      (merged.required as unknown[]).push(...(Array.isArray(p.required) ? p.required : []));
    }
    return sample(merged, root, opts, depth + 1);
  }
  switch (typeOf(s)) {
    case "object": {
      const props = isSchema(s.properties) ? s.properties : {};
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      const keys = opts.allProperties ? [...new Set([...Object.keys(props), ...required])] : required;
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = sample(isSchema(props[k]) ? props[k] : {}, root, opts, depth + 1);
      return out;
    }
    case "array": {
      const n = Math.max(typeof s.minItems === "number" ? s.minItems : 1, 0);
      const max = typeof s.maxItems === "number" ? s.maxItems : n;
      const items = isSchema(s.items) ? s.items : {};
      return Array.from({ length: Math.min(n, max) }, () => sample(items, root, opts, depth + 1));
    }
    case "integer":
      return sampleNumber(s, true);
    case "number":
      return sampleNumber(s, false);
    case "boolean":
      return true;
    case "null":
      return null;
    case "string":
      return sampleString(s, opts.text);
    default:
      return depth === 0 ? {} : opts.text;
  }
}

export function sampleFromSchema(schema: unknown, opts: SampleOptions): unknown {
  const root = isSchema(schema) ? schema : {};
  return sample(root, root, opts, 0);
}
