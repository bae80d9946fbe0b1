/**
 * Turn-level rules that Bedrock enforces on the whole conversation: strict user/assistant
 * alternation, tool results first in their user turn, reasoning first in its assistant turn, a text block beside
 * every document, and a user turn first.
 */
import type { ContentBlock, ConverseMessage } from "../bedrock/converse-types";
import { GatewayError } from "../errors";
import { isCachePoint } from "./cache-points";
import type { Turn } from "./messages";

/**
 * Text added to a user turn that carries a document but no text: Bedrock rejects such a message
 * ("A conversation must include a text block with a document"), and clients often send a bare file.
 */
export const DOCUMENT_ONLY_TEXT = "See the attached document.";

const has = (blocks: ContentBlock[], key: string) => blocks.some((b) => key in b);

/** Merges runs of same-role turns and applies the ordering rules; throws when the conversation cannot start. */
export function toConverseMessages(turns: Turn[]): ConverseMessage[] {
  if (turns.length === 0) {
    throw GatewayError.invalidRequest("messages", "messages must contain at least one user or assistant message with content.");
  }
  if (turns[0]!.role !== "user") {
    throw GatewayError.invalidRequest("messages", "The conversation must start with a user message (after system/developer messages).");
  }
  const merged: ConverseMessage[] = [];
  for (const t of turns) {
    const last = merged[merged.length - 1];
    if (last && last.role === t.role) last.content.push(...t.content);
    else merged.push({ role: t.role, content: [...t.content] });
  }
  for (const m of merged) {
    m.content = m.role === "user" ? toolResultsFirst(m.content) : partitionFirst(m.content, (b) => "reasoningContent" in b);
    m.content = dedupeCachePoints(m.content);
    if (m.role === "user" && has(m.content, "document") && !has(m.content, "text")) m.content.push({ text: DOCUMENT_ONLY_TEXT });
  }
  return merged;
}

/**
 * Anthropic requires every tool_result of the previous assistant turn at the start of the next user turn.
 * A cache point directly after a tool result belongs to it and moves with it.
 */
function toolResultsFirst(blocks: ContentBlock[]): ContentBlock[] {
  const first: ContentBlock[] = [];
  const rest: ContentBlock[] = [];
  let prevWasResult = false;
  for (const b of blocks) {
    const isResult = "toolResult" in b;
    (isResult || (prevWasResult && isCachePoint(b)) ? first : rest).push(b);
    prevWasResult = isResult;
  }
  return [...first, ...rest];
}

function partitionFirst(blocks: ContentBlock[], pred: (b: ContentBlock) => boolean): ContentBlock[] {
  return [...blocks.filter(pred), ...blocks.filter((b) => !pred(b))];
}

function dedupeCachePoints(blocks: ContentBlock[]): ContentBlock[] {
  return blocks.filter((b, i) => !(isCachePoint(b) && (i === 0 || isCachePoint(blocks[i - 1]!))));
}

/** Whether any message carries toolUse/toolResult blocks (Bedrock then requires `toolConfig`). */
export function hasToolBlocks(messages: ConverseMessage[]): boolean {
  return messages.some((m) => has(m.content, "toolUse") || has(m.content, "toolResult"));
}

/** Tool names used by toolUse blocks in the history, first use first. */
export function toolNamesInHistory(messages: ConverseMessage[]): string[] {
  const names = new Set<string>();
  for (const m of messages) for (const b of m.content) if ("toolUse" in b) names.add(b.toolUse.name);
  return [...names];
}

/** With thinking on, Anthropic requires each assistant turn that calls tools to start with its signed thinking. */
export function assistantToolTurnLacksReasoning(messages: ConverseMessage[]): boolean {
  return messages.some((m) => m.role === "assistant" && has(m.content, "toolUse") && !has(m.content, "reasoningContent"));
}

/**
 * Anthropic rejects a conversation whose final assistant message (a prefill) ends in whitespace ("final assistant
 * content cannot end with trailing whitespace"), so its last text block loses its trailing whitespace. Blank text
 * blocks never get here (messages.ts drops them), so the block keeps some text.
 */
export function trimPrefill(messages: ConverseMessage[]): void {
  const last = messages[messages.length - 1]!;
  if (last.role !== "assistant") return;
  for (let i = last.content.length - 1; i >= 0; i--) {
    const b = last.content[i]!;
    if (isCachePoint(b)) continue;
    if ("text" in b && typeof b.text === "string") last.content[i] = { ...b, text: b.text.trimEnd() };
    return;
  }
}

/** Removes every reasoning block (thinking off: Bedrock must never see them). */
export function stripReasoning(messages: ConverseMessage[]): void {
  for (const m of messages) m.content = m.content.filter((b) => !("reasoningContent" in b));
}
