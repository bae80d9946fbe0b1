// API key format, hashing and checks. Web-standard only (crypto.getRandomValues, crypto.subtle), so it
// runs unchanged on Node, Bun and Workers.

export const API_KEY_PREFIX = "bgw_live_";
/** Random base62 characters after the prefix: 40 × log2(62) ≈ 238 bits. */
export const API_KEY_RANDOM_LENGTH = 40;
/** Random characters kept in the visible prefix (`bgw_live_` + 6). */
export const API_KEY_VISIBLE_RANDOM = 6;

const BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const KEY_PATTERN = /^bgw_live_[0-9A-Za-z]{32,64}$/;

export type GeneratedApiKey = { key: string; prefix: string };

export function generateApiKey(): GeneratedApiKey {
  const random = randomBase62(API_KEY_RANDOM_LENGTH);
  return { key: API_KEY_PREFIX + random, prefix: API_KEY_PREFIX + random.slice(0, API_KEY_VISIBLE_RANDOM) };
}

/** The visible prefix of a well-formed key (what `generateApiKey` returned as `prefix`). */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + API_KEY_VISIBLE_RANDOM);
}

/** Cheap format check, done before hashing so junk bearer tokens never reach the database. */
export function looksLikeApiKey(s: string): boolean {
  return KEY_PATTERN.test(s);
}

/** Lower-case hex SHA-256 of the whole key, as stored in `api_keys.key_hash`. */
export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Constant-time comparison for equal-length strings (e.g. two hex digests); length is not secret. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// Rejection sampling: bytes ≥ 248 (= 4 × 62) are dropped so every character is equally likely.
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
