/**
 * Deterministic replies and token counts. Same request (and same cache state) → same reply, same usage.
 *
 * Tokens: ceil(chars / 4), at least 1, chars = Unicode code points.
 *   input  = all text in system + messages: text blocks, toolUse input JSON, toolResult text/JSON, reasoning text.
 *            Tool specs, images and documents add nothing. With cachePoints, cached parts move to
 *            cacheRead/cacheWriteInputTokens (sim/usage.ts) and inputTokens is the rest (can be 0).
 *   output = the reply: reasoning text + text + JSON of toolUse inputs.
 *
 * The reply is the first rule that applies, on the LAST user message with its [sim:...] directives removed:
 *   1. [sim:echo-request]: the text is JSON.stringify of the received request body.
 *   2. Tools are defined and toolChoice is `any`/`tool`, or (auto, and the last user message holds no toolResult)
 *      its text contains a tool's name: a toolUse block, stopReason `tool_use`. The tool is toolChoice.tool's, else
 *      the longest tool name found in the text, else the first tool. [sim:parallel-tools] adds a second toolUse
 *      (the next tool, or the same one again). toolUseId = `tooluse_` + 22 letters/digits hashed from the
 *      messages and the block index. input = the schema's required properties filled by type (string "sample",
 *      numbers the smallest allowed value >= 1, booleans true, enums their first value).
 *   3. The last user message holds toolResults: `Tool results: <toolUseId> => <content>; ...` (content: text as is,
 *      json as JSON, `[image png]`, `[document name]`; `(error) ` before results with status error).
 *   4. outputConfig.textFormat json_schema: the text is the JSON of a value valid against the schema (every property).
 *   5. [sim:words=N]: N words cycling through WORDS.   6. [sim:unicode]: UNICODE_SAMPLE.
 *   7. Otherwise `You said: <text>` (or `You sent no text.`), then ` I received N image(s): png (68 bytes), ...`
 *      and ` I received N document(s): name (pdf), ...` for attachments of the last user message. When a system
 *      block contains "JSON" (an instruction to answer in JSON), that sentence is wrapped as `{"reply": "..."}`.
 * Thinking enabled: the reply starts with a reasoningContent block, `Considering the request: "<first 60 chars>".
 * I will answer directly.` (or `I will call <tool>.`), signed with HMAC-SHA256 (sim/reasoning.ts). Like Claude
 * without interleaved thinking, a reply that continues a turn (after tool results) has no new reasoning block,
 * unless additionalModelRequestFields.anthropic_beta holds "interleaved-thinking-2025-05-14".
 * Then: the earliest stopSequence found in a text block cuts it → `stop_sequence`; output beyond maxTokens
 * (default: the model's maximum) is cut (toolUse blocks that do not fit are dropped) → `max_tokens`;
 * [sim:stop=REASON] overrides the stopReason.
 */
import { createHash } from "node:crypto";
import { stripDirectives, type Directives } from "./directives";
import type { SimModel } from "./models";
import { signReasoning } from "./reasoning";
import { sampleFromSchema } from "./schema-sample";
import { charCount, countTokens, type InputUsage } from "./usage";
import type { ValidRequest } from "./validate";
import { currentTurnStart } from "./validate-thinking";
import type { Block, Message, ToolSpec } from "./wire";

export const WORDS = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliett",
  "kilo",
  "lima",
  "mike",
  "november",
  "oscar",
  "papa",
];

/** Emoji (4-byte, ZWJ family, flag, skin tone), CJK, Hangul, RTL Arabic and Hebrew, combining marks, Devanagari, math letters, NUL. */
export const UNICODE_SAMPLE =
  "Unicode 😀 👨‍👩‍👧‍👦 🇯🇵 👍🏽 漢字と日本語、中文。한국어 مرحبا بالعالم שלום עולם e\u0301 n\u0303 a\u0308\u0323 नमस्ते 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 nul:\u0000 end.";

export type ReplyBlock =
  | { reasoningContent: { reasoningText: { text: string; signature: string } } }
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } };

export type TokenUsage = {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
  /** Cache writes by TTL (TokenUsage.cacheDetails in the service model). */
  cacheDetails?: { ttl: "5m" | "1h"; inputTokens: number }[];
};
export type Reply = { content: ReplyBlock[]; stopReason: string; usage: TokenUsage };

export type ReplyContext = { req: ValidRequest; model: SimModel; directives: Directives; cleanedText: string; rawBody: unknown; input: InputUsage };

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function lastUserMessage(messages: Message[]): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === "user") return messages[i];
  return undefined;
}

/** Texts of the last user message that may carry directives: text blocks, then text inside toolResults. */
export function directiveTexts(msg: Message | undefined): { texts: string[]; textBlocks: number } {
  const blocks = (msg?.content ?? []).filter((b) => b.text !== undefined).map((b) => b.text!);
  const inResults = (msg?.content ?? []).flatMap((b) => (b.toolResult?.content ?? []).filter((c) => c.text !== undefined).map((c) => c.text!));
  return { texts: [...blocks, ...inResults], textBlocks: blocks.length };
}

function toolUseId(messages: Message[], index: number): string {
  const digest = createHash("sha256").update(JSON.stringify(messages)).update(`#${index}`).digest();
  return `tooluse_${Array.from(digest.subarray(0, 22), (b) => ALNUM[b % ALNUM.length]).join("")}`;
}

function pickTools(ctx: ReplyContext, hasResults: boolean): ToolSpec[] {
  const specs = (ctx.req.body.toolConfig?.tools ?? []).flatMap((t) => (t.toolSpec ? [t.toolSpec] : []));
  if (specs.length === 0) return [];
  const choice = ctx.req.body.toolConfig?.toolChoice;
  const mentioned = [...specs].sort((a, b) => b.name.length - a.name.length).find((s) => ctx.cleanedText.includes(s.name));
  let picked: ToolSpec | undefined;
  if (choice?.tool) picked = specs.find((s) => s.name === choice.tool!.name);
  else if (choice?.any) picked = mentioned ?? specs[0];
  else if (!hasResults) picked = mentioned;
  if (!picked) return [];
  if (!ctx.directives.parallelTools) return [picked];
  return [picked, specs[(specs.indexOf(picked) + 1) % specs.length]!];
}

function describeToolResults(msg: Message): string {
  const parts = msg.content.flatMap((b) => {
    const tr = b.toolResult;
    if (!tr) return [];
    const content = tr.content
      .map((c) =>
        c.text !== undefined
          ? stripDirectives(c.text)
          : c.json !== undefined
            ? JSON.stringify(c.json)
            : c.image
              ? `[image ${c.image.format}]`
              : c.document
                ? `[document ${c.document.name}]`
                : "",
      )
      .join(" ");
    return [`${tr.status === "error" ? "(error) " : ""}${tr.toolUseId} => ${content}`];
  });
  return `Tool results: ${parts.join("; ")}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeAttachments(msg: Message): string {
  const images = msg.content.filter((b) => b.image).map((b) => b.image!);
  const docs = msg.content.filter((b) => b.document).map((b) => b.document!);
  let out = "";
  if (images.length > 0) {
    const list = images.map((i) => `${i.format} (${i.source.bytes !== undefined ? `${Buffer.from(i.source.bytes, "base64").length} bytes` : "s3"})`);
    out += ` I received ${plural(images.length, "image")}: ${list.join(", ")}.`;
  }
  if (docs.length > 0) out += ` I received ${plural(docs.length, "document")}: ${docs.map((d) => `${d.name} (${d.format ?? "unknown"})`).join(", ")}.`;
  return out;
}

function mainBlocks(ctx: ReplyContext): ReplyBlock[] {
  const { req, directives } = ctx;
  const messages = req.body.messages;
  const last = lastUserMessage(messages)!;
  const hasResults = last.content.some((b: Block) => b.toolResult);
  if (directives.echoRequest) return [{ text: JSON.stringify(ctx.rawBody) }];
  const tools = pickTools(ctx, hasResults);
  if (tools.length > 0) {
    const text = directives.unicode ? UNICODE_SAMPLE : "sample";
    return tools.map((t, i) => ({
      toolUse: { toolUseId: toolUseId(messages, i), name: t.name, input: sampleFromSchema(t.inputSchema.json, { allProperties: false, text }) },
    }));
  }
  if (hasResults) return [{ text: describeToolResults(last) }];
  if (req.jsonSchema !== undefined) return [{ text: JSON.stringify(sampleFromSchema(req.jsonSchema, { allProperties: true, text: "sample" })) }];
  if (directives.words !== undefined) return [{ text: Array.from({ length: directives.words }, (_, i) => WORDS[i % WORDS.length]).join(" ") }];
  if (directives.unicode) return [{ text: UNICODE_SAMPLE }];
  const said = (ctx.cleanedText ? `You said: ${ctx.cleanedText}` : "You sent no text.") + describeAttachments(last);
  const wantsJson = (req.body.system ?? []).some((s) => s.text?.includes("JSON"));
  return [{ text: wantsJson ? JSON.stringify({ reply: said }) : said }];
}

function reasoningBlock(ctx: ReplyContext, blocks: ReplyBlock[]): ReplyBlock {
  const tools = blocks.flatMap((b) => ("toolUse" in b ? [b.toolUse.name] : []));
  const snippet = [...ctx.cleanedText].slice(0, 60).join("");
  const text = `Considering the request: "${snippet}". ${tools.length ? `I will call ${tools.join(" and ")}.` : "I will answer directly."}`;
  return { reasoningContent: { reasoningText: { text, signature: signReasoning(text) } } };
}

/** The text of a text or reasoning block; undefined for tool uses. */
function textOf(b: ReplyBlock): string | undefined {
  if ("text" in b) return b.text;
  if ("reasoningContent" in b) return b.reasoningContent.reasoningText.text;
  return undefined;
}

function withText(b: ReplyBlock, text: string): ReplyBlock {
  return "reasoningContent" in b ? { reasoningContent: { reasoningText: { text, signature: signReasoning(text) } } } : { text };
}

/** Applies stopSequences (text blocks) and maxTokens (all blocks); returns the kept blocks, their chars, the stop reason. */
function limit(blocks: ReplyBlock[], stopSequences: string[], maxTokens: number): { blocks: ReplyBlock[]; chars: number; stopReason?: string } {
  const out: ReplyBlock[] = [];
  let budget = maxTokens * 4;
  for (let b of blocks) {
    let stopped: string | undefined;
    if ("text" in b) {
      const text = b.text;
      const cut = Math.min(...stopSequences.map((s) => text.indexOf(s)).filter((i) => i >= 0));
      if (Number.isFinite(cut)) [b, stopped] = [{ text: text.slice(0, cut) }, "stop_sequence"];
    }
    const text = textOf(b);
    const n = charCount(text ?? JSON.stringify((b as { toolUse: { input: unknown } }).toolUse.input));
    if (n > budget) {
      // A tool use that does not fit is dropped; text and reasoning are cut at the budget.
      if (text !== undefined && budget > 0) out.push(withText(b, [...text].slice(0, budget).join("")));
      return { blocks: out, chars: maxTokens * 4, stopReason: "max_tokens" };
    }
    if (text !== "") out.push(b);
    budget -= n;
    if (stopped) return { blocks: out, chars: maxTokens * 4 - budget, stopReason: stopped };
  }
  return { blocks: out, chars: maxTokens * 4 - budget };
}

export function generateReply(ctx: ReplyContext): Reply {
  const main = mainBlocks(ctx);
  const t = ctx.req.thinking;
  const continuing = currentTurnStart(ctx.req.body.messages) < ctx.req.body.messages.length;
  const all = t && (t.interleaved || !continuing) ? [reasoningBlock(ctx, main), ...main] : main;
  const inf = ctx.req.body.inferenceConfig ?? {};
  const limited = limit(all, inf.stopSequences ?? [], inf.maxTokens ?? ctx.model.maxOutputTokens);
  const natural = main.some((b) => "toolUse" in b) ? "tool_use" : "end_turn";
  const stopReason = ctx.directives.stop ?? limited.stopReason ?? natural;
  const outputTokens = countTokens(limited.chars);
  const { inputTokens, cacheReadInputTokens: read, cacheWriteInputTokens: write, cacheTtl } = ctx.input;
  const usage: TokenUsage = { inputTokens, outputTokens, totalTokens: inputTokens + (read ?? 0) + (write ?? 0) + outputTokens };
  if (read !== undefined) usage.cacheReadInputTokens = read;
  if (write !== undefined) usage.cacheWriteInputTokens = write;
  if (write && cacheTtl) usage.cacheDetails = [{ ttl: cacheTtl, inputTokens: write }];
  return { content: limited.blocks, stopReason, usage };
}
