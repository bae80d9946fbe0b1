/**
 * The OpenAI Responses API request (`POST /v1/responses`) as a tolerant zod schema, and the response objects and
 * stream events the door sends back. Shapes after OpenAI's API reference
 * (https://platform.openai.com/docs/api-reference/responses) and openai-node's `ResponseCreateParams`,
 * `Response` and `ResponseStreamEvent`. Unknown top-level fields pass through (see IGNORED_FIELDS in to-chat.ts).
 */
import { z } from "zod";
import { REASONING_EFFORTS } from "../../translate/openai-types";

const InputTextSchema = z.looseObject({ type: z.literal("input_text"), text: z.string() });
const OutputTextSchema = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const RefusalSchema = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
const InputImageSchema = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(["auto", "low", "high"]).nullish(),
});
const InputFileSchema = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});

export const ContentPartSchema = z.discriminatedUnion("type", [InputTextSchema, OutputTextSchema, RefusalSchema, InputImageSchema, InputFileSchema]);
export type ResponsesContentPart = z.output<typeof ContentPartSchema>;

const MessageItemSchema = z.looseObject({
  type: z.literal("message").optional(),
  id: z.string().nullish(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(ContentPartSchema)]),
  status: z.string().nullish(),
});

const FunctionCallItemSchema = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  name: z.string(),
  arguments: z.string(),
  status: z.string().nullish(),
});

const FunctionCallOutputItemSchema = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(ContentPartSchema)]),
  status: z.string().nullish(),
});

const ReasoningItemSchema = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullish(),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string() })).nullish(),
  content: z.array(z.looseObject({ type: z.string(), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
  status: z.string().nullish(),
});

/**
 * A reference to an item the caller's stored responses hold (`{"type":"item_reference","id":"fc_…"}`; openai-node
 * also allows the bare `{"id":…}`). Resolved from storage before translation (context.ts).
 */
const ItemReferenceSchema = z.looseObject({ type: z.literal("item_reference").optional(), id: z.string().min(1) });

export type MessageItem = z.output<typeof MessageItemSchema>;
export type FunctionCallItem = z.output<typeof FunctionCallItemSchema>;
export type FunctionCallOutputItem = z.output<typeof FunctionCallOutputItemSchema>;
export type ReasoningItem = z.output<typeof ReasoningItemSchema>;
export type InputItem = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem;
export type ItemReference = { type: "item_reference"; id: string };
/** What `input` may hold: items, and references to stored items. */
export type RequestItem = InputItem | ItemReference;

/**
 * One input item. Parsed by its `type` (a message may omit it, as EasyInputMessage does), so an issue names the
 * field inside the item; an unknown type is a 400 naming it.
 */
const InputItemSchema = z.unknown().transform((value, ctx): RequestItem => {
  const fields = typeof value === "object" && value !== null ? (value as { type?: unknown; role?: unknown; id?: unknown }) : {};
  const type = fields.type;
  if (type === "item_reference" || (type === undefined && fields.role === undefined && fields.id !== undefined)) {
    const r = ItemReferenceSchema.safeParse(value);
    if (r.success) return { type: "item_reference", id: r.data.id };
    for (const issue of r.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  }
  const schema =
    type === undefined || type === "message"
      ? MessageItemSchema
      : type === "function_call"
        ? FunctionCallItemSchema
        : type === "function_call_output"
          ? FunctionCallOutputItemSchema
          : type === "reasoning"
            ? ReasoningItemSchema
            : null;
  if (!schema) {
    ctx.addIssue({ code: "custom", message: `input items of type '${String(type)}' are not supported by this gateway` });
    return z.NEVER;
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data as InputItem;
  for (const issue of r.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

const InputItemsSchema = z.array(InputItemSchema);

/**
 * `input`: a string, or items. Not a `z.union`: a union reports a bad item as one issue at `input` ("Invalid
 * input"), so the array's own issues are passed on here, naming the item (`input[2].call_id`).
 */
const InputSchema = z.unknown().transform((value, ctx): string | RequestItem[] => {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "expected a string or an array of input items" });
    return z.NEVER;
  }
  const r = InputItemsSchema.safeParse(value);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

const ToolSchema = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type ResponsesTool = z.output<typeof ToolSchema>;

const ToolChoiceSchema = z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), name: z.string().optional() })]);
export type ResponsesToolChoice = z.output<typeof ToolChoiceSchema>;

const TextFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const ResponsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: InputSchema.optional(),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  include: z.array(z.string()).nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z.looseObject({ effort: z.enum(REASONING_EFFORTS).nullish(), summary: z.enum(["auto", "concise", "detailed"]).nullish() }).nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  text: z.looseObject({ format: TextFormatSchema.nullish(), verbosity: z.string().nullish() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  background: z.boolean().nullish(),
});
export type ResponsesRequest = z.output<typeof ResponsesRequestSchema>;

// ---- What the gateway sends back ----

export type OutputText = { type: "output_text"; text: string; annotations: []; logprobs: [] };
export type MessageOutput = {
  id: string;
  type: "message";
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: OutputText[];
};
export type FunctionCallOutput = {
  id: string;
  type: "function_call";
  status: "in_progress" | "completed" | "incomplete";
  call_id: string;
  name: string;
  arguments: string;
};
export type SummaryText = { type: "summary_text"; text: string };
export type ReasoningOutput = {
  id: string;
  type: "reasoning";
  summary: SummaryText[];
  encrypted_content?: string | null;
  status?: "in_progress" | "completed" | "incomplete";
};
export type OutputItem = MessageOutput | FunctionCallOutput | ReasoningOutput;

export type ResponseUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
};

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export type ResponseObject = {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: false;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: "disabled";
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
};

/** A stream event before its `sequence_number` is stamped (the encoder numbers them in order). */
export type ResponsesEvent = { type: string } & Record<string, unknown>;
