/**
 * The simulator's view of the Converse request, after validation (sim/validate.ts) has checked the shapes it relies
 * on. Kept separate from src/bedrock/converse-types.ts on purpose: the simulator must not trust the gateway's types.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, unknown>;

export type CachePoint = { type: "default"; ttl?: "5m" | "1h" };

export type ImageBlock = { format: string; source: { bytes?: string; s3Location?: { uri: string } } };
export type DocumentBlock = { format?: string; name: string; source: { bytes?: string; text?: string; s3Location?: { uri: string } } };
export type ToolResultContent = { text?: string; json?: unknown; image?: ImageBlock; document?: DocumentBlock };

export type Block = {
  text?: string;
  image?: ImageBlock;
  document?: DocumentBlock;
  toolUse?: { toolUseId: string; name: string; input: unknown };
  toolResult?: { toolUseId: string; content: ToolResultContent[]; status?: "success" | "error" };
  reasoningContent?: { reasoningText?: { text: string; signature?: string }; redactedContent?: string };
  cachePoint?: CachePoint;
  guardContent?: unknown;
};

export type Message = { role: "user" | "assistant"; content: Block[] };
export type SystemBlock = { text?: string; cachePoint?: CachePoint; guardContent?: unknown };
export type ToolSpec = { name: string; description?: string; inputSchema: { json: Obj } };
export type ToolEntry = { toolSpec?: ToolSpec; cachePoint?: CachePoint };
export type ToolChoice = { auto?: Obj; any?: Obj; tool?: { name: string } };

export type ConverseBody = {
  messages: Message[];
  system?: SystemBlock[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ToolEntry[]; toolChoice?: ToolChoice };
  additionalModelRequestFields?: Obj;
  outputConfig?: { textFormat?: { type: string; structure: { jsonSchema: { schema: string; name?: string } } } };
};

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
