/**
 * The Anthropic Messages door: `POST /v1/messages` (plain and streamed) and `POST /v1/messages/count_tokens`, for
 * Claude Code and the Anthropic SDKs. Claude models go through InvokeModel / InvokeModelWithResponseStream with
 * Anthropic's own body (thinking, signatures and cache_control kept as sent); other models through Converse.
 * Admission and settlement are the shared steps; this file only chooses the path and translates.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import type { ConverseStreamEvent } from "../../bedrock/converse-types";
import type { InvokeStreamChunk } from "../../bedrock/client";
import { type Deps, randomId } from "../../deps";
import { GatewayError } from "../../errors";
import { admit, resolveModelFor } from "../../gateway/admit";
import { requestSignal } from "../../gateway/in-flight";
import { relayStream, SSE_HEADERS, type StreamDoor } from "../../gateway/relay-stream";
import { jsonBody } from "../../http/json-body";
import { setWarnings } from "../../http/warnings";
import type { CatalogueModel } from "../../models/catalogue";
import { noteRequestedModel } from "../../routes/resolve-model";
import { routeBedrock } from "../../routing/upstream";
import { draftFromStream, type UsageDraft } from "../../usage/draft";
import { createConverseStreamTranslator } from "./converse-stream";
import { estimateMessagesInput } from "./estimate";
import { fromConverseResponse } from "./from-converse";
import { fromInvokeResponse } from "./from-invoke";
import { type AnthropicStreamTranslator, createInvokeStreamTranslator } from "./invoke-stream";
import { CountTokensRequestSchema, type AnthropicStreamEvent, MessagesRequestSchema, type MessagesRequest } from "./schema";
import { anthropicErrorEvent, encodeAnthropicEvents, isContentEvent, PING } from "./sse";
import { toConverseFromMessages } from "./to-converse";
import { toInvokeModelBody } from "./to-invoke-body";

/** Anthropic sends `ping` events while a stream waits; the gateway sends one after this much upstream silence. */
const PING_EVERY_MS = 10_000;

/** Claude speaks Anthropic's own body on Bedrock; the catalogue's owner covers application profiles without the name. */
export function isClaude(model: Pick<CatalogueModel, "bedrockModelId" | "ownedBy">): boolean {
  return /(^|[./])anthropic\.claude/.test(model.bedrockModelId) || model.ownedBy === "anthropic";
}

/** A foundation model id from an inference profile id (CountTokens takes no profiles): `us.anthropic.…` → `anthropic.…`. */
export function foundationModelId(id: string): string | null {
  if (id.startsWith("arn:")) return null;
  return id.replace(/^(us|eu|apac|global|jp|au|ca|us-gov)\./, "");
}

function streamDoor<E>(translator: AnthropicStreamTranslator<E>, inputEstimate: number): StreamDoor<E, AnthropicStreamEvent> {
  return {
    push: (e) => translator.push(e),
    finish: () => translator.finish(),
    encode: encodeAnthropicEvents,
    errorEvent: anthropicErrorEvent,
    hasContent: isContentEvent,
    keepAlive: { everyMs: PING_EVERY_MS, text: PING },
    beforeSettle(draft: UsageDraft) {
      draftFromStream(draft, translator.state, inputEstimate);
    },
  };
}

async function claudeMessage(c: Context<AppEnv>, deps: Deps, req: MessagesRequest, model: CatalogueModel): Promise<Response> {
  const draft = c.get("usage");
  const signal = requestSignal(c);
  const { body, warnings } = toInvokeModelBody(req, { model, betaHeader: c.req.header("anthropic-beta") });
  setWarnings(c, warnings);
  const inputEstimate = estimateMessagesInput(req);
  draft.inputEstimate = inputEstimate;
  await admit(c, deps, { model, inputTokens: inputEstimate, maxOutputTokens: req.max_tokens });
  // Retries and fallback over the model's targets before the first byte (routing/).
  const upstream = routeBedrock(deps, draft, model.targets, signal);
  if (draft.stream) {
    const events = await upstream.invokeModelStream(body);
    const door = streamDoor<InvokeStreamChunk>(createInvokeStreamTranslator({ model: req.model }), inputEstimate);
    return c.body(relayStream(deps, { events, door, draft, signal }), 200, SSE_HEADERS);
  }
  const res = await upstream.invokeModel(body);
  const out = fromInvokeResponse(res.body, res.headers ?? new Headers(), { model: req.model, id: `msg_${randomId(24)}` });
  draft.usage = out.usage;
  draft.stopReason = out.stopReason;
  return c.json(out.message);
}

async function converseMessage(c: Context<AppEnv>, deps: Deps, req: MessagesRequest, model: CatalogueModel): Promise<Response> {
  const draft = c.get("usage");
  const signal = requestSignal(c);
  const { body, warnings } = toConverseFromMessages(req, model);
  setWarnings(c, warnings);
  const inputEstimate = estimateMessagesInput(req);
  draft.inputEstimate = inputEstimate;
  await admit(c, deps, { model, inputTokens: inputEstimate, maxOutputTokens: req.max_tokens });
  // Retries and fallback over the model's targets before the first byte (routing/).
  const upstream = routeBedrock(deps, draft, model.targets, signal);
  const meta = { id: `msg_${randomId(24)}`, model: req.model, stopSequences: req.stop_sequences };
  if (draft.stream) {
    const events = await upstream.converseStream(body);
    const door = streamDoor<ConverseStreamEvent>(createConverseStreamTranslator({ ...meta, inputEstimate }), inputEstimate);
    return c.body(relayStream(deps, { events, door, draft, signal }), 200, SSE_HEADERS);
  }
  const res = await upstream.converse(body);
  const out = fromConverseResponse(res, meta);
  draft.usage = out.usage;
  draft.stopReason = out.stopReason;
  return c.json(out.message);
}

/** Bedrock answers CountTokens for models without it with a ValidationException saying so. */
const NO_COUNT_TOKENS = /(doesn't|does not|not) support (counting tokens|count ?tokens|token counting)/i;

export function registerAnthropicMessages(app: Hono<AppEnv>, deps: Deps): void {
  app.post("/v1/messages", ...jsonBody(MessagesRequestSchema, noteRequestedModel), async (c) => {
    const req = c.req.valid("json");
    const model = await resolveModelFor(c, deps, req.model, "chat");
    c.get("usage").stream = req.stream === true;
    return isClaude(model) ? claudeMessage(c, deps, req, model) : converseMessage(c, deps, req, model);
  });

  // Counting is not a model call: it passes authentication and model policy, reserves and costs nothing, and
  // writes no usage row (Anthropic does not bill it either); the access log still records it.
  app.post("/v1/messages/count_tokens", ...jsonBody(CountTokensRequestSchema, noteRequestedModel), async (c) => {
    const req = c.req.valid("json");
    c.get("usage").settled = true;
    const model = await resolveModelFor(c, deps, req.model, "chat");
    const estimate = () => c.json({ input_tokens: estimateMessagesInput(req) });
    const foundation = foundationModelId(model.bedrockModelId);
    if (!isClaude(model) || !foundation) return estimate();
    // CountTokens takes a whole InvokeModel body, which needs max_tokens (above any thinking budget).
    const budget = req.thinking?.type === "enabled" ? req.thinking.budget_tokens : 0;
    const { body, warnings } = toInvokeModelBody(
      { ...req, max_tokens: Math.max(model.defaultMaxTokens, budget + 1) },
      { model, betaHeader: c.req.header("anthropic-beta") },
    );
    setWarnings(c, warnings);
    try {
      return c.json({ input_tokens: await deps.bedrock.countTokens(foundation, body, requestSignal(c)) });
    } catch (err) {
      // A malformed request is the client's to fix, and a stopping gateway says so; a model or region without CountTokens falls back to the estimate.
      if (!(err instanceof GatewayError) || err.status === 499 || err.code === "shutting_down" || (err.status === 400 && !NO_COUNT_TOKENS.test(err.message)))
        throw err;
      deps.logger.info("count_tokens estimated", { requestId: c.get("requestId"), status: err.status, code: err.code });
      setWarnings(c, [...warnings, "input_tokens estimated: Bedrock could not count tokens for this model"]);
      return estimate();
    }
  });
}
