/**
 * Bedrock Converse / ConverseStream wire shapes (REST-JSON), after botocore's service model
 * `bedrock-runtime.service-2.json`. Blobs (image/document bytes, redacted reasoning) are base64 strings on the wire.
 */

export type ImageFormat = "png" | "jpeg" | "gif" | "webp";
export type DocumentFormat = "pdf" | "csv" | "doc" | "docx" | "xls" | "xlsx" | "html" | "txt" | "md";

export type CachePointBlock = { type: "default"; ttl?: "5m" | "1h" };

export type ToolResultContentBlock = { text: string } | { json: unknown } | { image: ImageBlock } | { document: DocumentBlock };

export type ImageBlock = { format: ImageFormat; source: { bytes: string } | { s3Location: { uri: string; bucketOwner?: string } } };
export type DocumentBlock = { format?: DocumentFormat; name: string; source: { bytes: string } | { text: string } };

export type ReasoningContentBlock = { reasoningText: { text: string; signature?: string } } | { redactedContent: string };

export type ContentBlock =
  | { text: string }
  | { image: ImageBlock }
  | { document: DocumentBlock }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: ToolResultContentBlock[]; status?: "success" | "error" } }
  | { reasoningContent: ReasoningContentBlock }
  | { cachePoint: CachePointBlock };

export type SystemContentBlock = { text: string } | { cachePoint: CachePointBlock };

export type ConverseMessage = { role: "user" | "assistant"; content: ContentBlock[] };

export type ToolSpecification = {
  name: string;
  description?: string;
  inputSchema: { json: unknown };
  strict?: boolean;
};

export type Tool = { toolSpec: ToolSpecification } | { cachePoint: CachePointBlock };

export type ToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export type ToolConfiguration = { tools: Tool[]; toolChoice?: ToolChoice };

export type InferenceConfiguration = {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
};

export type OutputConfig = {
  textFormat?: {
    type: "json_schema";
    structure: { jsonSchema: { schema: string; name?: string; description?: string } };
  };
  effort?: "low" | "medium" | "high" | "xhigh" | "max";
};

export type GuardrailConfiguration = {
  guardrailIdentifier: string;
  guardrailVersion: string;
  trace?: "enabled" | "disabled" | "enabled_full";
  streamProcessingMode?: "sync" | "async";
};

/** Body of `POST /model/{modelId}/converse` and `/converse-stream` (modelId travels in the path). */
export type ConverseRequest = {
  messages: ConverseMessage[];
  system?: SystemContentBlock[];
  inferenceConfig?: InferenceConfiguration;
  toolConfig?: ToolConfiguration;
  guardrailConfig?: GuardrailConfiguration;
  additionalModelRequestFields?: Record<string, unknown>;
  additionalModelResponseFieldPaths?: string[];
  outputConfig?: OutputConfig;
  requestMetadata?: Record<string, string>;
  performanceConfig?: { latency: "standard" | "optimized" };
  serviceTier?: { type: "priority" | "default" | "flex" | "reserved" };
};

export type StopReason =
  | "end_turn"
  | "tool_use"
  | "max_tokens"
  | "stop_sequence"
  | "guardrail_intervened"
  | "content_filtered"
  | "malformed_model_output"
  | "malformed_tool_use"
  | "model_context_window_exceeded";

export type TokenUsage = {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
};

export type ConverseResponse = {
  output?: { message?: ConverseMessage };
  stopReason?: StopReason | string;
  usage?: TokenUsage;
  metrics?: { latencyMs: number };
  additionalModelResponseFields?: unknown;
  trace?: unknown;
};

/** One decoded ConverseStream event: the `:event-type` header names the member, the payload is its body. */
export type ConverseStreamEvent =
  | { type: "messageStart"; body: { role: "assistant" | "user" } }
  | {
      type: "contentBlockStart";
      body: { contentBlockIndex: number; start?: { toolUse?: { toolUseId: string; name: string } } };
    }
  | {
      type: "contentBlockDelta";
      body: {
        contentBlockIndex: number;
        delta: {
          text?: string;
          toolUse?: { input: string };
          reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
        };
      };
    }
  | { type: "contentBlockStop"; body: { contentBlockIndex: number } }
  | { type: "messageStop"; body: { stopReason: StopReason | string; additionalModelResponseFields?: unknown } }
  | { type: "metadata"; body: { usage?: TokenUsage; metrics?: { latencyMs: number }; trace?: unknown } };
