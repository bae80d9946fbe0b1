/**
 * Prompt caching: OpenAI/Anthropic-style `cache_control` markers become Converse `cachePoint` blocks placed after
 * the marked block. Only for models the catalogue marks `caching`; for the others the markers are
 * dropped silently, because they are hints and the request is still correct without them.
 */
import type { CachePointBlock, ConverseRequest } from "../bedrock/converse-types";
import type { CacheControl } from "./openai-types";

/** Anthropic allows at most 4 cache breakpoints per request (tools, system and messages together). */
export const MAX_CACHE_POINTS = 4;

type WithCachePoint = { cachePoint: CachePointBlock } | object;

/** `{type:"ephemeral", ttl?}` → `{cachePoint:{type:"default", ttl?}}`. */
export function toCachePoint(cc: CacheControl): { cachePoint: CachePointBlock } {
  return { cachePoint: cc.ttl ? { type: "default", ttl: cc.ttl } : { type: "default" } };
}

export const isCachePoint = (b: object): b is { cachePoint: CachePointBlock } => "cachePoint" in b;

/**
 * Appends a cache point after the last block of `blocks` when caching is on and `cc` is set. Never first in a list
 * (there is nothing to cache before it) and never twice in a row.
 */
export function appendCachePoint<T extends WithCachePoint>(blocks: T[], cc: CacheControl | null | undefined, caching: boolean): void {
  if (!cc || !caching || blocks.length === 0) return;
  const last = blocks[blocks.length - 1]!;
  if (isCachePoint(last)) return;
  blocks.push(toCachePoint(cc) as T);
}

/**
 * Keeps at most MAX_CACHE_POINTS cache points, dropping the earliest ones in prompt order (tools, system, messages).
 * A later breakpoint caches a longer prefix, which is what a client marking many blocks wants most; the earlier
 * ones only help partial reuse. Returns how many were removed.
 */
export function limitCachePoints(body: ConverseRequest, max = MAX_CACHE_POINTS): number {
  const lists: object[][] = [];
  if (body.toolConfig) lists.push(body.toolConfig.tools);
  if (body.system) lists.push(body.system);
  for (const m of body.messages) lists.push(m.content);
  const total = lists.reduce((n, l) => n + l.filter(isCachePoint).length, 0);
  let excess = total - max;
  if (excess <= 0) return 0;
  const removed = excess;
  for (const list of lists) {
    for (let i = 0; i < list.length && excess > 0; ) {
      if (isCachePoint(list[i]!)) {
        list.splice(i, 1);
        excess--;
      } else i++;
    }
    if (excess === 0) break;
  }
  return removed;
}
