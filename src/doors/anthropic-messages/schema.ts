/**
 * Anthropic Messages API shapes (https://docs.anthropic.com/en/api/messages): the inbound request as a zod schema
 * and the outbound message and stream events as types. Tolerant where Anthropic is: unknown keys pass through (the
 * Claude path forwards what Bedrock accepts and drops the rest with a warning), and block types the gateway does
 * not model (server tools, search results) pass through to Claude untouched. Known block types are checked
 * field by field, so a malformed block is a 400 naming its path.
 */
import { z } from "zod";

const CacheControl = z.looseObject({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() }).nullish();

const TextBlock = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: CacheControl });
const ImageSource = z.union([
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
]);
const DocumentSource = z.union([
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("text"), media_type: z.string().optional(), data: z.string() }),
  z.looseObject({ type: z.literal("content"), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]) }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
]);

const KNOWN_BLOCKS: Record<string, z.ZodType> = {
  text: TextBlock,
  image: z.looseObject({ type: z.literal("image"), source: ImageSource, cache_control: CacheControl }),
  document: z.looseObject({
    type: z.literal("document"),
    source: DocumentSource,
    title: z.string().nullish(),
    context: z.string().nullish(),
    cache_control: CacheControl,
  }),
  tool_use: z.looseObject({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    cache_control: CacheControl,
  }),
  tool_result: z.looseObject({
    type: z.literal("tool_result"),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
    is_error: z.boolean().optional(),
    cache_control: CacheControl,
  }),
  thinking: z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
  redacted_thinking: z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() }),
};

/** Any block with a `type`; the known ones are validated against their own schema. */
const Block = z.looseObject({ type: z.string() }).superRefine((b, ctx) => {
  const schema = KNOWN_BLOCKS[b.type];
  if (!schema) return;
  const r = schema.safeParse(b);
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path as (string | number)[] });
});

const Message = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(Block)]),
});

const Tool = z.looseObject({
  type: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  cache_control: CacheControl,
});

const ToolChoice = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

const Thinking = z.union([
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.number().int() }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive") }),
]);

const Common = {
  model: z.string().min(1),
  messages: z.array(Message),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  thinking: Thinking.optional(),
};

export const MessagesRequestSchema = z.looseObject({
  ...Common,
  max_tokens: z.number().int().positive(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
});

/** `POST /v1/messages/count_tokens`: the same body without `max_tokens` and the sampling settings. */
export const CountTokensRequestSchema = z.looseObject(Common);

export type MessagesRequest = z.output<typeof MessagesRequestSchema>;
export type CountTokensRequest = z.output<typeof CountTokensRequestSchema>;

export type CacheControlParam = { type: "ephemeral"; ttl?: "5m" | "1h" } | null | undefined;

/** The block types the gateway reads (others are passed through to Claude untouched). */
export type InputBlock =
  | { type: "text"; text: string; cache_control?: CacheControlParam }
  | {
      type: "image";
      source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
      cache_control?: CacheControlParam;
    }
  | {
      type: "document";
      source:
        | { type: "base64"; media_type: string; data: string }
        | { type: "text"; media_type?: string; data: string }
        | { type: "content"; content: string | { type: string; text?: string }[] }
        | { type: "url"; url: string };
      title?: string | null;
      cache_control?: CacheControlParam;
    }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown>; cache_control?: CacheControlParam }
  | {
      type: "tool_result";
      tool_use_id: string;
      content?: string | InputBlock[];
      is_error?: boolean;
      cache_control?: CacheControlParam;
    }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: string; cache_control?: CacheControlParam };

/** Response content blocks. */
export type OutputBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

export type AnthropicUsage = {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
};

export type AnthropicMessage = {
  id: string;
  type: "message";
  role: "assistant";
  content: OutputBlock[];
  model: string;
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
};

/** Stream events (https://docs.anthropic.com/en/docs/build-with-claude/streaming), as objects with their `type`. */
export type AnthropicStreamEvent = { type: string; [field: string]: unknown };
