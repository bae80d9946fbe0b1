/**
 * Tool names and tool-use ids as Bedrock accepts them (service model `ToolName`, `ToolUseId`).
 * Ids minted by other providers may not fit; they get a stable rewrite so a toolUse and its toolResult still match.
 */

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const TOOL_USE_ID = /^[a-zA-Z0-9_.:-]{1,64}$/;

/**
 * Returns `id` unchanged when Bedrock accepts it, else a deterministic rewrite: the id with invalid characters
 * replaced, cut to 48 characters, plus a 53-bit hash of the original (so distinct ids stay distinct).
 */
export function toBedrockToolUseId(id: string): string {
  if (TOOL_USE_ID.test(id)) return id;
  const cleaned = id.replace(/[^a-zA-Z0-9_.:-]/g, "_").slice(0, 48) || "call";
  return `${cleaned}-${hash53(id).toString(36)}`;
}

/** Turns an arbitrary label into a valid tool name (invalid characters → `_`, at most 64), or `fallback` if nothing is left. */
export function toToolName(label: string | null | undefined, fallback: string): string {
  const cleaned = (label ?? "").replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
  return /[a-zA-Z0-9]/.test(cleaned) ? cleaned : fallback;
}

/** cyrb53 (public domain): a fast, well-mixed 53-bit string hash; no crypto needed, ids are not secrets. */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
