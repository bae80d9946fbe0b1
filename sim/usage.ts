/**
 * Token counting and prompt caching (rules documented in sim/behaviour.ts).
 *
 * The cache works like Anthropic's on Bedrock: each cachePoint closes a prefix (tools, then system, then messages,
 * in that order). The longest prefix already in the cache is read; the part of the last prefix beyond it is
 * written. Entries live for their ttl (5m default, 1h) and are refreshed by a read. inputTokens excludes both.
 */
import { createHash } from "node:crypto";
import type { Block, ConverseBody } from "./wire";

/** ceil(chars / 4), counting Unicode code points, at least 1. */
export function countTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The text a block contributes to the input token count. */
function blockText(b: Block): string {
  if (b.text !== undefined) return b.text;
  if (b.toolUse) return JSON.stringify(b.toolUse.input ?? {});
  if (b.toolResult) return b.toolResult.content.map((c) => (c.text !== undefined ? c.text : c.json !== undefined ? JSON.stringify(c.json) : "")).join("");
  if (b.reasoningContent?.reasoningText) return b.reasoningContent.reasoningText.text;
  return "";
}

export type InputUsage = { inputTokens: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number; cacheTtl?: "5m" | "1h" };

type Checkpoint = { key: string; chars: number; ttlMs: number; ttl: "5m" | "1h" };

export class PromptCache {
  private entries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  clear(): void {
    this.entries.clear();
  }

  /** Computes input usage for a request and updates the cache; cache fields only when the request has cachePoints. */
  measure(modelKey: string, body: ConverseBody): InputUsage {
    const hash = createHash("sha256").update(modelKey);
    const checkpoints: Checkpoint[] = [];
    let chars = 0;
    const visit = (part: unknown, text: string, cp: Block["cachePoint"]) => {
      if (cp) {
        const ttl = cp.ttl ?? "5m";
        checkpoints.push({ key: hash.copy().digest("hex"), chars, ttl, ttlMs: ttl === "1h" ? 3_600_000 : 300_000 });
        return;
      }
      hash.update(JSON.stringify(part));
      chars += charCount(text);
    };
    for (const t of body.toolConfig?.tools ?? []) visit(t.toolSpec, "", t.cachePoint);
    for (const s of body.system ?? []) visit(s, s.text ?? "", s.cachePoint);
    for (const m of body.messages) {
      hash.update(`\u0000${m.role}`);
      for (const b of m.content) visit(b, blockText(b), b.cachePoint);
    }
    const total = countTokens(chars);
    if (checkpoints.length === 0) return { inputTokens: total };
    const now = this.now();
    let readChars = 0;
    for (const cp of checkpoints) {
      const expires = this.entries.get(cp.key);
      if (expires !== undefined && expires > now) readChars = Math.max(readChars, cp.chars);
    }
    const last = checkpoints[checkpoints.length - 1]!;
    for (const cp of checkpoints) this.entries.set(cp.key, now + cp.ttlMs);
    const read = readChars > 0 ? Math.min(total, Math.ceil(readChars / 4)) : 0;
    const prefix = last.chars > 0 ? Math.min(total, Math.ceil(last.chars / 4)) : 0;
    const write = Math.max(0, prefix - read);
    return { inputTokens: total - read - write, cacheReadInputTokens: read, cacheWriteInputTokens: write, cacheTtl: last.ttl };
  }
}
