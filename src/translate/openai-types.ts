/**
 * OpenAI Chat Completions shapes: the inbound request as a zod schema (tolerant where OpenAI is: unknown keys
 * pass through and are ignored, optional fields may be `null`), and the outbound response objects as types.
 * Field list after openai-node's `ChatCompletionCreateParams`; response objects after `ChatCompletion` /
 * `ChatCompletionChunk`.
 */
import { z } from "zod";

const CacheControlSchema = z.looseObject({
  type: z.literal("ephemeral"),
  ttl: z.enum(["5m", "1h"]).optional(),
});
export type CacheControl = z.output<typeof CacheControlSchema>;

const cacheControl = CacheControlSchema.nullish();

export const ContentPartSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: cacheControl }),
  z.looseObject({
    type: z.literal("image_url"),
    image_url: z.looseObject({ url: z.string(), detail: z.enum(["auto", "low", "high"]).nullish() }),
    cache_control: cacheControl,
  }),
  z.looseObject({
    type: z.literal("file"),
    file: z.looseObject({ file_data: z.string().nullish(), filename: z.string().nullish(), file_id: z.string().nullish() }),
    cache_control: cacheControl,
  }),
  z.looseObject({
    type: z.literal("input_audio"),
    input_audio: z.looseObject({ data: z.string(), format: z.string() }),
    cache_control: cacheControl,
  }),
  z.looseObject({ type: z.literal("refusal"), refusal: z.string(), cache_control: cacheControl }),
]);
export type ContentPart = z.output<typeof ContentPartSchema>;

const PartsSchema = z.array(ContentPartSchema);

/**
 * `string | ContentPart[]`. A plain `z.union` would report a bad part as "Invalid input" at `content`;
 * parsing the array separately keeps the issue path down to the offending part (`messages.1.content.0.text`).
 */
const MessageContentSchema = z
  .union([z.string(), z.array(z.unknown())], { error: "must be a string or an array of content parts" })
  .transform((value, ctx): string | ContentPart[] => {
    if (typeof value === "string") return value;
    const parsed = PartsSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  });

const ToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.output<typeof ToolCallSchema>;

/** LiteLLM / Anthropic style reasoning round-trip on assistant messages. */
const ThinkingBlockSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().nullish() }),
  z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() }),
]);
export type ThinkingBlock = z.output<typeof ThinkingBlockSchema>;

const SystemMessageSchema = z.looseObject({
  role: z.literal("system"),
  content: MessageContentSchema,
  name: z.string().nullish(),
  cache_control: cacheControl,
});
const DeveloperMessageSchema = SystemMessageSchema.extend({ role: z.literal("developer") });
const UserMessageSchema = SystemMessageSchema.extend({ role: z.literal("user") });
const AssistantMessageSchema = z.looseObject({
  role: z.literal("assistant"),
  content: MessageContentSchema.nullish(),
  name: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(ToolCallSchema).nullish(),
  function_call: z.looseObject({ name: z.string(), arguments: z.string() }).nullish(),
  reasoning_content: z.string().nullish(),
  thinking_blocks: z.array(ThinkingBlockSchema).nullish(),
  cache_control: cacheControl,
});
const ToolMessageSchema = z.looseObject({
  role: z.literal("tool"),
  content: MessageContentSchema,
  tool_call_id: z.string(),
  cache_control: cacheControl,
});
const FunctionMessageSchema = z.looseObject({
  role: z.literal("function"),
  name: z.string(),
  content: z.string().nullish(),
});

export const ChatMessageSchema = z.discriminatedUnion("role", [
  SystemMessageSchema,
  DeveloperMessageSchema,
  UserMessageSchema,
  AssistantMessageSchema,
  ToolMessageSchema,
  FunctionMessageSchema,
]);
export type ChatMessage = z.output<typeof ChatMessageSchema>;
export type AssistantMessage = z.output<typeof AssistantMessageSchema>;

const FunctionDefinitionSchema = z.looseObject({
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type FunctionDefinition = z.output<typeof FunctionDefinitionSchema>;

const ToolSchema = z.looseObject({
  type: z.literal("function"),
  function: FunctionDefinitionSchema,
  cache_control: cacheControl,
});
export type ToolDefinition = z.output<typeof ToolSchema>;

const NamedToolChoiceSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({ name: z.string() }),
});
const ToolChoiceSchema = z.union([z.enum(["none", "auto", "required"]), NamedToolChoiceSchema]);
export type ToolChoiceParam = z.output<typeof ToolChoiceSchema>;

const FunctionCallChoiceSchema = z.union([z.enum(["none", "auto"]), z.looseObject({ name: z.string() })]);

const ResponseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.output<typeof ResponseFormatSchema>;

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

const GuardrailConfigSchema = z.looseObject({
  guardrailIdentifier: z.string().min(1),
  guardrailVersion: z.string().min(1),
  trace: z.enum(["enabled", "disabled", "enabled_full"]).optional(),
  streamProcessingMode: z.enum(["sync", "async"]).optional(),
});
export type GuardrailConfigParam = z.output<typeof GuardrailConfigSchema>;

const AdditionalFieldsSchema = z.record(z.string(), z.unknown());

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  n: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  functions: z.array(FunctionDefinitionSchema).nullish(),
  function_call: FunctionCallChoiceSchema.nullish(),
  response_format: ResponseFormatSchema.nullish(),
  reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
  additionalModelRequestFields: AdditionalFieldsSchema.nullish(),
  guardrailConfig: GuardrailConfigSchema.nullish(),
  bedrock: z.looseObject({ additionalModelRequestFields: AdditionalFieldsSchema.nullish(), guardrailConfig: GuardrailConfigSchema.nullish() }).nullish(),
});
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema>;

// ---- Response objects (what the gateway sends back) ----

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export type ChatCompletionUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
};

export type ChatCompletionMessageToolCall = {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
};

export type ChatCompletionMessage = {
  role: "assistant";
  content: string | null;
  refusal: null;
  tool_calls?: ChatCompletionMessageToolCall[];
  /** Deprecated OpenAI shape, sent instead of `tool_calls` when the request used legacy `functions`. */
  function_call?: { name: string; arguments: string };
  /** Not in OpenAI's schema; the de-facto field (DeepSeek, LiteLLM, vLLM) for reasoning text. */
  reasoning_content?: string;
};

export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: { index: number; message: ChatCompletionMessage; logprobs: null; finish_reason: FinishReason }[];
  usage: ChatCompletionUsage;
};

export type ChatCompletionChunkToolCall = {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
};

export type ChatCompletionChunkDelta = {
  role?: "assistant";
  content?: string | null;
  reasoning_content?: string;
  tool_calls?: ChatCompletionChunkToolCall[];
  /** Legacy-`functions` streams: `{name, arguments: ""}` first, then `{arguments}` fragments. */
  function_call?: { name?: string; arguments?: string };
};

export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: { index: number; delta: ChatCompletionChunkDelta; logprobs: null; finish_reason: FinishReason | null }[];
  /** Present only when `stream_options.include_usage` was requested: `null` on every chunk but the usage chunk. */
  usage?: ChatCompletionUsage | null;
};
