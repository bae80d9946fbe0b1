/**
 * Converse / ConverseStream request validation, in the order and wording of real Bedrock as far as it is known
 * (messages collected from SDK error reports). Returns the request typed for sim/behaviour.ts, plus the thinking
 * settings, or throws a SimError (400 ValidationException).
 */
import { modelValidation, validation } from "./errors";
import type { SimModel } from "./models";
import { checkBlock, checkCachePoint, constraint, TOOL_NAME, type ContentTally } from "./validate-content";
import { checkThinking, type Thinking } from "./validate-thinking";
import { isObj, type Block, type ConverseBody, type Message } from "./wire";

export type ValidRequest = { body: ConverseBody; thinking?: Thinking; cachePoints: number; jsonSchema?: unknown };

const START_USER = "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
const ALTERNATE =
  "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
const NEEDS_TOOL_CONFIG = "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
/** InferenceConfigurationStopSequencesList `max` in the service model. */
const MAX_STOP_SEQUENCES = 2500;
const NO_CACHING = "You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.";

function checkRange(value: unknown, member: string, min: number, max?: number, integer = false): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw constraint(value, member, `Member must be ${integer ? "an integer" : "a number"}`);
  }
  if (value < min) throw constraint(String(value), member, `Member must have value greater than or equal to ${min}`);
  if (max !== undefined && value > max) throw constraint(String(value), member, `Member must have value less than or equal to ${max}`);
}

function checkInference(body: ConverseBody, model: SimModel): void {
  const inf: unknown = body.inferenceConfig;
  if (inf === undefined) return;
  if (!isObj(inf)) throw constraint(inf, "inferenceConfig", "Member must be a structure");
  checkRange(inf.maxTokens, "inferenceConfig.maxTokens", 1, undefined, true);
  checkRange(inf.temperature, "inferenceConfig.temperature", 0, 1);
  checkRange(inf.topP, "inferenceConfig.topP", 0, 1);
  const max = model.maxOutputTokens;
  if (typeof inf.maxTokens === "number" && inf.maxTokens > max) {
    throw validation(`The maximum tokens you requested exceeds the model limit of ${max}. Try again with a maximum tokens value that is lower than ${max}.`);
  }
  if (inf.stopSequences !== undefined) {
    if (!Array.isArray(inf.stopSequences)) throw constraint(inf.stopSequences, "inferenceConfig.stopSequences", "Member must be a list");
    if (inf.stopSequences.length > MAX_STOP_SEQUENCES) {
      throw constraint(inf.stopSequences, "inferenceConfig.stopSequences", `Member must have length less than or equal to ${MAX_STOP_SEQUENCES}`);
    }
    inf.stopSequences.forEach((s: unknown, i: number) => {
      if (typeof s !== "string" || s.length < 1)
        throw constraint(s, `inferenceConfig.stopSequences.${i + 1}.member`, "Member must have length greater than or equal to 1");
    });
  }
  if (model.temperatureTopPConflict && inf.temperature !== undefined && inf.topP !== undefined) {
    throw modelValidation("`temperature` and `top_p` cannot both be specified for this model. Please use only one.");
  }
}

function checkSystem(system: unknown, tally: ContentTally): void {
  if (system === undefined) return;
  if (!Array.isArray(system)) throw constraint(system, "system", "Member must be a list");
  system.forEach((s: unknown, i: number) => {
    const b = isObj(s) ? s : {};
    if (b.cachePoint !== undefined) {
      checkCachePoint(b.cachePoint, `system.${i + 1}.member`);
      tally.cachePoints++;
    } else if (b.text !== undefined) {
      if (typeof b.text !== "string" || b.text.length < 1)
        throw constraint(b.text, `system.${i + 1}.member.text`, "Member must have length greater than or equal to 1");
      if (b.text.trim() === "")
        throw validation(`The text field in the SystemContentBlock object at system.${i} is blank. Add text to the text field, and try again.`);
    } else if (b.guardContent === undefined) {
      throw validation(`The SystemContentBlock object at system.${i} must set exactly one supported member.`);
    }
  });
}

function checkToolConfig(body: ConverseBody, model: SimModel, tally: ContentTally): void {
  const tc: unknown = body.toolConfig;
  if (tc === undefined) return;
  if (!isObj(tc) || !Array.isArray(tc.tools)) throw constraint(undefined, "toolConfig.tools", "Member must not be null");
  if (!model.tools) throw validation("This model doesn't support tool use.");
  if (tc.tools.length < 1) throw constraint("[]", "toolConfig.tools", "Member must have length greater than or equal to 1");
  const names = new Set<string>();
  tc.tools.forEach((t: unknown, i: number) => {
    const entry = isObj(t) ? t : {};
    if (entry.cachePoint !== undefined) {
      checkCachePoint(entry.cachePoint, `toolConfig.tools.${i + 1}.member`);
      tally.cachePoints++;
      return;
    }
    const spec = isObj(entry.toolSpec) ? entry.toolSpec : undefined;
    if (!spec) throw validation(`The Tool object at toolConfig.tools.${i} must set toolSpec or cachePoint.`);
    if (typeof spec.name === "string" && spec.name.length > 64) {
      throw constraint(spec.name, `toolConfig.tools.${i + 1}.member.toolSpec.name`, "Member must have length less than or equal to 64");
    }
    if (typeof spec.name !== "string" || !TOOL_NAME.test(spec.name)) {
      throw constraint(spec.name, `toolConfig.tools.${i + 1}.member.toolSpec.name`, "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+");
    }
    if (spec.description !== undefined && (typeof spec.description !== "string" || spec.description.length < 1)) {
      throw constraint(spec.description, `toolConfig.tools.${i + 1}.member.toolSpec.description`, "Member must have length greater than or equal to 1");
    }
    const schema = isObj(spec.inputSchema) ? spec.inputSchema.json : undefined;
    if (!isObj(schema) || schema.type !== "object") {
      throw validation(`The value at toolConfig.tools.${i}.toolSpec.inputSchema.json.type must be one of the following: object.`);
    }
    if (names.has(spec.name)) throw modelValidation("tools: Tool names must be unique.");
    names.add(spec.name);
  });
  const choice: unknown = tc.toolChoice;
  if (choice === undefined) return;
  const kind = isObj(choice) ? Object.keys(choice).find((k) => choice[k] !== undefined) : undefined;
  if (!isObj(choice) || !kind || !["auto", "any", "tool"].includes(kind))
    throw validation("The toolConfig.toolChoice field must set exactly one of auto, any or tool.");
  if (!model.toolChoice)
    throw validation(`This model doesn't support the toolConfig.toolChoice.${kind} field. Remove toolConfig.toolChoice.${kind} and try again.`);
  if (kind === "tool") {
    const name = isObj(choice.tool) ? choice.tool.name : undefined;
    if (typeof name !== "string" || !names.has(name)) throw modelValidation(`tool_choice.name: Tool '${String(name)}' not found in provided tools`);
  }
}

function toolUseIds(msg: Message | undefined): string[] {
  return (msg?.content ?? []).filter((b) => b.toolUse).map((b) => b.toolUse!.toolUseId);
}

/** Every toolResult answers a toolUse of the previous assistant turn, and every toolUse gets its result. */
function checkToolPairing(messages: Message[], model: SimModel): void {
  messages.forEach((msg, i) => {
    if (msg.role !== "user") return;
    const uses = i > 0 ? toolUseIds(messages[i - 1]) : [];
    const results = msg.content.filter((b) => b.toolResult).map((b) => b.toolResult!.toolUseId);
    if (results.length > uses.length)
      throw validation(`The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`);
    const missing = uses.filter((id) => !results.includes(id));
    if (missing.length > 0) throw validation(`Expected toolResult blocks at messages.${i}.content for the following Ids: ${missing.join(", ")}`);
    if (model.provider === "Anthropic" && uses.length > 0) {
      const real = msg.content.filter((b) => !b.cachePoint);
      if (!real.slice(0, uses.length).every((b) => b.toolResult)) {
        throw modelValidation(
          `messages.${i}: Did not find ${uses.length} \`tool_result\` block(s) at the beginning of this message. Messages following \`tool_use\` blocks must begin with a matching number of \`tool_result\` blocks.`,
        );
      }
    }
  });
}

function checkMessages(body: ConverseBody, model: SimModel, tally: ContentTally): void {
  const messages: unknown = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw validation(START_USER);
  let usesTools = false;
  messages.forEach((m: unknown, i: number) => {
    const msg = isObj(m) ? m : {};
    if (msg.role !== "user" && msg.role !== "assistant") {
      throw constraint(msg.role, `messages.${i + 1}.member.role`, "Member must satisfy enum value set: [user, assistant]");
    }
    if (i === 0 && msg.role !== "user") throw validation(START_USER);
    if (i > 0 && (messages[i - 1] as Message).role === msg.role) throw validation(ALTERNATE);
    if (!Array.isArray(msg.content)) throw constraint(undefined, `messages.${i + 1}.member.content`, "Member must not be null");
    if (msg.content.length === 0)
      throw validation(`The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`);
    const perMessage: ContentTally = { ...tally, hasText: false, hasDocument: false };
    msg.content.forEach((b: unknown, j: number) => {
      checkBlock(
        b,
        { path: `messages.${i}.content.${j}`, member: `messages.${i + 1}.member.content.${j + 1}.member`, role: msg.role as "user" },
        model,
        perMessage,
      );
      usesTools ||= isObj(b) && (b.toolUse !== undefined || b.toolResult !== undefined);
    });
    if (perMessage.hasDocument && !perMessage.hasText) {
      throw validation(`The message at messages.${i} contains a document but no text. Add a text content block to the message and try again.`);
    }
    Object.assign(tally, { images: perMessage.images, documents: perMessage.documents, cachePoints: perMessage.cachePoints });
  });
  if (usesTools && body.toolConfig === undefined) throw validation(NEEDS_TOOL_CONFIG);
  checkToolPairing(messages as Message[], model);
}

const EFFORTS = ["low", "medium", "high", "xhigh", "max"];

function checkOutputConfig(body: ConverseBody, model: SimModel): unknown {
  const effort: unknown = (body.outputConfig as { effort?: unknown } | undefined)?.effort;
  if (effort !== undefined) {
    if (!model.effort) throw validation("This model doesn't support the outputConfig.effort field. Remove outputConfig.effort and try again.");
    if (typeof effort !== "string" || !EFFORTS.includes(effort))
      throw constraint(effort, "outputConfig.effort", `Member must satisfy enum value set: [${EFFORTS.join(", ")}]`);
  }
  const tf: unknown = body.outputConfig?.textFormat;
  if (tf === undefined) return undefined;
  if (!model.structuredOutput) throw validation("This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.");
  const format = isObj(tf) ? tf : {};
  if (format.type !== "json_schema") throw constraint(format.type, "outputConfig.textFormat.type", "Member must satisfy enum value set: [json_schema]");
  const js = isObj(format.structure) && isObj(format.structure.jsonSchema) ? format.structure.jsonSchema : undefined;
  if (!js) throw constraint(undefined, "outputConfig.textFormat.structure.jsonSchema", "Member must not be null");
  if (typeof js.schema !== "string") {
    throw validation("The value at outputConfig.textFormat.structure.jsonSchema.schema must be a string that contains a JSON schema.");
  }
  let schema: unknown;
  try {
    schema = JSON.parse(js.schema);
  } catch {
    schema = undefined;
  }
  if (!isObj(schema))
    throw validation("The JSON schema at outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON. Provide a valid JSON schema and try again.");
  if (model.provider === "Anthropic" && hasOpenObject(schema)) {
    throw modelValidation("output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false");
  }
  return schema;
}

/** Anthropic's structured outputs accept only closed objects (`additionalProperties: false`), at every depth. */
function hasOpenObject(s: unknown): boolean {
  if (Array.isArray(s)) return s.some(hasOpenObject);
  if (!isObj(s)) return false;
  const isObject = s.type === "object" || (Array.isArray(s.type) && s.type.includes("object")) || isObj(s.properties);
  if (isObject && s.additionalProperties !== false) return true;
  const nested = [
    s.items,
    s.anyOf,
    s.oneOf,
    s.allOf,
    s.prefixItems,
    ...[s.properties, s.$defs, s.definitions].flatMap((m) => (isObj(m) ? Object.values(m) : [])),
  ];
  return nested.some(hasOpenObject);
}

/**
 * Text rules of Anthropic's Messages API, checked after Bedrock's own: stop sequences need a visible character, and
 * a final assistant message (a prefill) must not end in whitespace.
 */
function checkAnthropicText(body: ConverseBody, model: SimModel): void {
  if (model.provider !== "Anthropic") return;
  const stops: unknown = body.inferenceConfig?.stopSequences;
  if (Array.isArray(stops) && stops.some((s) => typeof s === "string" && s.trim() === "")) {
    throw modelValidation("stop_sequences: each stop sequence must contain non-whitespace");
  }
  const last = body.messages[body.messages.length - 1]!;
  if (last.role !== "assistant") return;
  const final = last.content.filter((b) => !b.cachePoint).at(-1);
  if (typeof final?.text === "string" && /\s$/.test(final.text)) {
    throw modelValidation("messages: final assistant content cannot end with trailing whitespace");
  }
}

export function validateConverse(raw: unknown, model: SimModel): ValidRequest {
  if (model.kind !== "chat") throw validation("This action doesn't support the model that you provided. Try again with a supported text or chat model.");
  if (!isObj(raw)) throw validation("Malformed input request, please reformat your input and try again.");
  const body = raw as ConverseBody;
  const tally: ContentTally = { images: 0, documents: [], cachePoints: 0, hasText: false, hasDocument: false };
  checkInference(body, model);
  checkSystem(body.system, tally);
  checkToolConfig(body, model, tally);
  checkMessages(body, model, tally);
  if (tally.images > 20) throw validation("You can't include more than 20 images in a request.");
  if (tally.documents.length > 5) throw validation("You can't include more than 5 documents in a request.");
  if (new Set(tally.documents).size !== tally.documents.length)
    throw validation("Messages can't contain duplicate document names. Rename the document and retry your request.");
  if (tally.cachePoints > 0 && !model.caching) throw validation(NO_CACHING);
  if (tally.cachePoints > 4 && model.provider === "Anthropic")
    throw modelValidation(`A maximum of 4 blocks with cache_control may be provided. Found ${tally.cachePoints}.`);
  const jsonSchema = checkOutputConfig(body, model);
  checkAnthropicText(body, model);
  const thinking = checkThinking(body, model);
  return { body, thinking, cachePoints: tally.cachePoints, jsonSchema };
}

export type { Block };
