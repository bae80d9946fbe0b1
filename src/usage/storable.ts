/**
 * Makes a row's strings storable in Postgres, whatever a client put in them. PostgreSQL's text type cannot hold
 * U+0000, and jsonb refuses the `\u0000` escape for that reason
 * (https://www.postgresql.org/docs/current/datatype-json.html); a lone UTF-16 surrogate has no UTF-8 encoding
 * at all. One such character in one row would make Postgres refuse the whole INSERT, so each is replaced with
 * U+FFFD, the Unicode replacement character, before the row leaves the process.
 */

/**
 * Longest stored string, in UTF-16 code units. Usage columns are btree-indexed, and a btree entry holds at most
 * about a third of an 8 kB page (https://www.postgresql.org/docs/current/btree.html#BTREE-IMPLEMENTATION):
 * 512 units are at most 1,536 UTF-8 bytes, well inside it.
 */
export const MAX_STORED_STRING_LENGTH = 512;

const REPLACEMENT = "\uFFFD";
// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Any NUL or surrogate: the strings a row holds almost never have one, and this test is cheaper than the replace.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point.
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

/** `s` with NULs and lone surrogates replaced by U+FFFD, cut to `maxLength` without splitting a surrogate pair. */
export function storableString(s: string, maxLength = MAX_STORED_STRING_LENGTH): string {
  let out = MAYBE_UNSTORABLE.test(s) ? s.replace(UNSTORABLE, REPLACEMENT) : s;
  if (out.length > maxLength) {
    const last = out.charCodeAt(maxLength - 1);
    out = out.slice(0, last >= 0xd800 && last <= 0xdbff ? maxLength - 1 : maxLength);
  }
  return out;
}

/**
 * `record` with every string made storable: values, and the keys and strings of nested objects and arrays (jsonb
 * columns refuse `\u0000` too). Numbers, booleans, null and dates are kept as they are. An object or array with
 * nothing to change is returned itself (the usual case: a row is written once, right after it is built); one with
 * something to change is copied, never changed in place.
 */
export function storableRecord<T extends Record<string, unknown>>(record: T, maxLength = MAX_STORED_STRING_LENGTH): T {
  return storableValue(record, maxLength, 0) as T;
}

// Rows are built by the gateway, a few levels deep at most; past this depth values are kept as they are.
const MAX_DEPTH = 8;

function storableValue(value: unknown, maxLength: number, depth: number): unknown {
  if (typeof value === "string") return storableString(value, maxLength);
  if (value === null || typeof value !== "object" || value instanceof Date || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const stored = storableValue(v, maxLength, depth + 1);
      if (stored !== v && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(stored);
    }
    return copy ?? value;
  }
  // The copy, once a key or value has to change, holds every entry in the original order.
  let copy: Record<string, unknown> | null = null;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = (value as Record<string, unknown>)[key];
    const storedKey = depth === 0 ? key : storableString(key, maxLength);
    const stored = storableValue(v, maxLength, depth + 1);
    if (copy === null && (storedKey !== key || stored !== v)) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = (value as Record<string, unknown>)[keys[j]!];
    }
    if (copy !== null) copy[storedKey] = stored;
  }
  return copy ?? value;
}
