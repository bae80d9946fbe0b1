/**
 * Keeps Claude's signed thinking blocks between turns. OpenAI clients do not send reasoning back, yet
 * Bedrock requires the assistant turn that preceded a tool result to start with its thinking blocks.
 * Entries are keyed by the tool-call ids they preceded, bounded in count, bytes and age.
 */
import type { ReasoningContentBlock } from "./bedrock/converse-types";

export type ReasoningStore = {
  put(toolCallIds: string[], blocks: ReasoningContentBlock[], now: number): void;
  get(toolCallId: string, now: number): ReasoningContentBlock[] | undefined;
};

export function createReasoningStore(opts: { maxEntries?: number; maxBytes?: number; ttlMs?: number } = {}): ReasoningStore {
  const maxEntries = opts.maxEntries ?? 10_000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
  // Map keeps insertion order, so the first key is the oldest: evict from the front.
  const entries = new Map<string, { blocks: ReasoningContentBlock[]; size: number; at: number }>();
  let bytes = 0;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    bytes -= e.size;
    entries.delete(key);
  };

  return {
    put(toolCallIds, blocks, now) {
      if (toolCallIds.length === 0 || blocks.length === 0) return;
      const size = JSON.stringify(blocks).length;
      if (size > maxBytes / 4) return;
      for (const id of toolCallIds) {
        drop(id);
        entries.set(id, { blocks, size, at: now });
        bytes += size;
      }
      while (entries.size > maxEntries || bytes > maxBytes) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        drop(oldest);
      }
    },
    get(toolCallId, now) {
      const e = entries.get(toolCallId);
      if (!e) return undefined;
      if (now - e.at > ttlMs) {
        drop(toolCallId);
        return undefined;
      }
      return e.blocks;
    },
  };
}
