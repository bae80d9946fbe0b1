/**
 * The Bedrock-native door: `POST /bedrock/model/{modelId}/{converse|converse-stream|invoke|
 * invoke-with-response-stream|count-tokens}` with Bedrock's own bodies, for the AWS SDKs, boto3 and Claude Code's
 * Bedrock mode. The caller's body is checked, the model in the path goes through the same policy, limits and
 * budget reservation as every door, and the body is sent on unchanged to the resolved target, signed with the
 * gateway's credentials. Answers are Bedrock's bytes; usage is read from them on the way (usage.ts).
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { inferModelEntry } from "../../catalogue";
import type { Deps } from "../../deps";
import { admit, resolveModelFor } from "../../gateway/admit";
import { requestSignal } from "../../gateway/in-flight";
import { readBodyText } from "../../http/json-body";
import type { CatalogueModel } from "../../models/catalogue";
import { stripRegionPrefix } from "../../policy/models";
import { relayedHeaders, upstreamHeaders } from "./headers";
import { BEDROCK_OPERATIONS, type BedrockOperation, modelIdFromPath } from "./model-id";
import { checkPassthrough } from "./passthrough";
import { parseRequestBody, rawModelSegment } from "./request";
import { streamBedrock } from "./stream";
import { routeRaw } from "./upstream";
import { converseUsage, estimateConverseInput, estimateInvokeInput, invokeHeaderUsage, invokeMaxOutput } from "./usage";

const utf8 = new TextDecoder();

export function registerBedrockNative(app: Hono<AppEnv>, deps: Deps): void {
  for (const op of BEDROCK_OPERATIONS) app.post(`/bedrock/model/:modelId/${op}`, (c) => handle(c, deps, op));
}

async function handle(c: Context<AppEnv>, deps: Deps, op: BedrockOperation): Promise<Response> {
  const draft = c.get("usage");
  const segment = rawModelSegment(c.req.url);
  draft.model = segment.slice(0, 256);
  const name = modelIdFromPath(segment);
  draft.model = name;
  const text = await readBodyText(c);
  const body = parseRequestBody(op, text);
  checkPassthrough(op, body, c.req.raw.headers, deps.config.ALLOW_BEDROCK_PASSTHROUGH);

  const invoke = op === "invoke" || op === "invoke-with-response-stream";
  const model = await resolveModelFor(c, deps, name, invoke ? await kindOf(c, deps, name) : "chat");
  const ask = admissionOf(op, body, model);
  draft.inputEstimate = ask.inputTokens;
  await admit(c, deps, { model, ...ask });

  const headers = upstreamHeaders(op, c.req.raw.headers);
  const signal = requestSignal(c);
  const route = routeRaw(deps, draft, model.targets, signal);
  if (op === "converse-stream" || op === "invoke-with-response-stream") {
    draft.stream = true;
    return streamBedrock(c, deps, { op, route, body: text, headers, draft, signal });
  }

  // CountTokens takes a foundation model id, never an inference profile (API reference, CountTokens).
  const upstreamId = (id: string) => (op === "count-tokens" ? stripRegionPrefix(id) : id);
  const answer = await route((id, s, attempt) => deps.bedrock.sendRaw(upstreamId(id), op, text, headers, s, attempt));
  if (op === "converse") {
    const read = converseUsage(safeJson(answer.body));
    draft.usage = read.usage;
    draft.stopReason = read.stopReason;
    if (!read.usage) estimate(draft, ask.inputTokens);
  } else if (op === "invoke") {
    draft.usage = invokeHeaderUsage(answer.headers);
    if (!draft.usage) estimate(draft, ask.inputTokens);
  } else {
    // Counting runs no model: nothing is used.
    draft.usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  }
  return c.body(answer.body as Uint8Array<ArrayBuffer>, 200, relayedHeaders(answer.headers, false));
}

/** What admission counts and reserves for the request. */
function admissionOf(op: BedrockOperation, body: Record<string, unknown>, model: CatalogueModel): { inputTokens: number; maxOutputTokens: number } {
  switch (op) {
    case "converse":
    case "converse-stream": {
      const inf = body.inferenceConfig as { maxTokens?: unknown } | undefined;
      const max = typeof inf?.maxTokens === "number" && inf.maxTokens > 0 ? Math.floor(inf.maxTokens) : model.maxOutputTokens;
      return { inputTokens: estimateConverseInput(body), maxOutputTokens: max };
    }
    case "invoke":
    case "invoke-with-response-stream":
      return { inputTokens: estimateInvokeInput(body), maxOutputTokens: model.kind === "embedding" ? 0 : invokeMaxOutput(body, model.maxOutputTokens) };
    case "count-tokens":
      return { inputTokens: 0, maxOutputTokens: 0 };
  }
}

/** InvokeModel serves chat and embedding models alike: the kind is the model's own, as far as the catalogue knows it. */
async function kindOf(c: Context<AppEnv>, deps: Deps, name: string): Promise<"chat" | "embedding"> {
  const catalogue = await deps.catalogue.get(c.get("scope").db);
  return catalogue.resolve(name)?.kind ?? inferModelEntry(name)?.kind ?? "chat";
}

function estimate(draft: AppEnv["Variables"]["usage"], inputTokens: number): void {
  draft.usage = { inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  draft.estimated = true;
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
}
