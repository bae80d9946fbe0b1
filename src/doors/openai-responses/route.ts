/**
 * The OpenAI Responses door: `POST /v1/responses` (plain and streamed), `GET` and `DELETE /v1/responses/{id}`
 * and `GET /v1/responses/{id}/input_items`. The request becomes a Chat Completions request and goes through the
 * same Converse translation as /v1/chat/completions; admission and settlement are the shared steps.
 *
 * A stored response is written before the response completes (before `response.completed` in a stream): a
 * client may send its next turn with `previous_response_id` the moment it has the answer, possibly to another
 * gateway instance, so writing it afterwards (waitUntil) would race that lookup, and no lookup could wait for a
 * write another instance has not made yet.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env";
import type { ReasoningContentBlock } from "../../bedrock/converse-types";
import { withDeadline } from "../../db/deadline";
import { deleteResponse, findResponse, purgeExpiredResponses } from "../../db/responses";
import { type Deps, randomId } from "../../deps";
import { GatewayError } from "../../errors";
import { admit, resolveModelFor } from "../../gateway/admit";
import { requestSignal } from "../../gateway/in-flight";
import { relayStream, SSE_HEADERS } from "../../gateway/relay-stream";
import { jsonBody } from "../../http/json-body";
import { once, repeated, validQuery } from "../../http/query";
import { setWarnings } from "../../http/warnings";
import type { CatalogueModel } from "../../models/catalogue";
import { noteRequestedModel } from "../../routes/resolve-model";
import { routeBedrock } from "../../routing/upstream";
import { toConverseRequest, type TranslatedRequest } from "../../translate/openai-to-converse";
import { estimateInputTokens } from "../../usage/estimate";
import { type Conversation, loadConversation, ownerOf, publicItem, retrievedResponse, sealReasoning, storeResponse, toStoredResponse } from "./context";
import { fromConverseResponse, type ResponseMeta } from "./from-converse";
import { createSealer } from "./seal";
import { ResponsesRequestSchema, type ResponseObject, type ResponsesRequest } from "./schema";
import { responsesDoor, sealedEvents } from "./sse";
import { createResponsesStreamTranslator } from "./stream";
import { ENCRYPTED_REASONING, readdressError, renameFields, toChatRequest } from "./to-chat";

/** One request in this many also removes expired stored responses (off the response path). */
const PURGE_EVERY = 100;

const newId = (prefix: string) => `${prefix}_${randomId(32)}`;

/** `GET /v1/responses/{id}`'s query, after OpenAI's `ResponseRetrieveParams` (openai-node sends `include[]`). */
const RetrieveQuery = z.looseObject({
  include: repeated,
  "include[]": repeated,
  stream: z.enum(["true", "false"], { error: "stream must be true or false." }).optional(),
  starting_after: z
    .string({ error: "starting_after must be given once." })
    .regex(/^\d{1,15}$/, "starting_after must be a sequence number (an integer, 0 or more).")
    .optional(),
});

/** `GET /v1/responses/{id}/input_items`'s query, after OpenAI's `InputItemListParams`. */
const InputItemsQuery = z.looseObject({
  order: z.enum(["asc", "desc"], { error: "order must be 'asc' or 'desc'." }).optional(),
  limit: z
    .string({ error: "limit must be given once." })
    .regex(/^\d{1,3}$/, "limit must be an integer between 1 and 100.")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, "limit must be an integer between 1 and 100.")
    .optional(),
  after: once("after"),
  include: repeated,
  "include[]": repeated,
});

function translate(
  req: ResponsesRequest,
  conversation: Conversation,
  model: CatalogueModel,
  deps: Deps,
): { translated: TranslatedRequest; warnings: string[] } {
  const plan = toChatRequest(req, conversation.items, conversation.offset);
  try {
    const translated = toConverseRequest(plan.chat, {
      model,
      allowPassthrough: false,
      temperatureAboveOne: deps.config.TEMPERATURE_ABOVE_ONE,
      reasoningFor: () => undefined,
    });
    const warnings = [...conversation.warnings, ...plan.warnings, ...translated.warnings.map(renameFields)];
    if (translated.thinkingDropped) warnings.push(renameFields(translated.thinkingDropped));
    return { translated, warnings };
  } catch (err) {
    throw err instanceof GatewayError ? readdressError(err, plan.sources) : err;
  }
}

export function registerResponses(app: Hono<AppEnv>, deps: Deps): void {
  const sealer = createSealer(deps.config.RESPONSES_SEAL_KEY);
  const dbTimeoutMs = deps.config.DB_QUERY_TIMEOUT_MS;
  const ttlHours = deps.config.RESPONSES_TTL_HOURS;
  let requests = 0;

  app.post("/v1/responses", ...jsonBody(ResponsesRequestSchema, noteRequestedModel), async (c) => {
    const req = c.req.valid("json");
    const draft = c.get("usage");
    const model = await resolveModelFor(c, deps, req.model, "chat");
    draft.stream = req.stream === true;
    const scope = c.get("scope");
    const owner = ownerOf(c.get("identity"));
    const now = deps.clock.now();
    const conversation = await loadConversation(req, { db: scope.db, owner, now, sealer, dbTimeoutMs });
    const { translated, warnings } = translate(req, conversation, model, deps);
    setWarnings(c, warnings);

    draft.inputEstimate = estimateInputTokens(translated.body);
    await admit(c, deps, { model, inputTokens: draft.inputEstimate, maxOutputTokens: translated.body.inferenceConfig?.maxTokens ?? model.maxOutputTokens });

    const store = req.store !== false;
    if (store && ++requests % PURGE_EVERY === 0) scope.waitUntil(purgeExpiredResponses(scope.db, now).catch(() => 0));
    const seal = req.include?.includes(ENCRYPTED_REASONING) ? (blocks: ReasoningContentBlock[]) => sealer.seal(owner, blocks) : null;
    const keep = async (response: ResponseObject, reasoning: Record<string, ReasoningContentBlock[]>) => {
      if (!store) return;
      const row = toStoredResponse(response, conversation, reasoning, { owner, now: deps.clock.now(), ttlHours });
      if (!(await storeResponse(scope.db, row, dbTimeoutMs))) deps.logger.warn("response not stored", { requestId: c.get("requestId") });
    };
    const meta: ResponseMeta = {
      id: newId("resp"),
      createdAt: Math.floor(now / 1000),
      model: req.model,
      jsonToolName: translated.jsonToolName,
      summary: !!req.reasoning?.summary,
      newId,
    };
    const signal = requestSignal(c);
    const upstream = routeBedrock(deps, draft, model.targets, signal);

    if (draft.stream) {
      const events = await upstream.converseStream(translated.body);
      const translator = createResponsesStreamTranslator(req, { ...meta, inputEstimate: draft.inputEstimate });
      const door = responsesDoor(translator, draft.inputEstimate);
      const out = sealedEvents(events, translator, { seal, keep });
      return c.body(relayStream(deps, { events: out, door, draft, signal }), 200, SSE_HEADERS);
    }

    const res = await upstream.converse(translated.body);
    const out = fromConverseResponse(req, res, meta);
    draft.usage = out.usage;
    draft.stopReason = out.stopReason;
    await sealReasoning(out.response.output, out.reasoning, seal);
    await keep(out.response, out.reasoning);
    return c.json(out.response);
  });

  app.get("/v1/responses/:id", validQuery(RetrieveQuery), async (c) => {
    const q = c.req.valid("query");
    if (q.stream === "true") throw GatewayError.invalidRequest("stream", "Streaming a stored response again is not supported by this gateway.");
    const owner = ownerOf(c.get("identity"));
    const row = await withDeadline(findResponse(c.get("scope").db, c.req.param("id"), owner, deps.clock.now()), dbTimeoutMs);
    if (!row) throw notFound(c.req.param("id"));
    const include = [...(q.include ?? []), ...(q["include[]"] ?? [])];
    const seal = include.includes(ENCRYPTED_REASONING) ? (blocks: ReasoningContentBlock[]) => sealer.seal(owner, blocks) : null;
    return c.json(await retrievedResponse(row, seal));
  });

  app.delete("/v1/responses/:id", async (c) => {
    const id = c.req.param("id");
    const deleted = await withDeadline(deleteResponse(c.get("scope").db, id, ownerOf(c.get("identity")), deps.clock.now()), dbTimeoutMs);
    if (!deleted) throw notFound(id);
    return c.json({ id, object: "response", deleted: true });
  });

  app.get("/v1/responses/:id/input_items", validQuery(InputItemsQuery), async (c) => {
    const row = await withDeadline(findResponse(c.get("scope").db, c.req.param("id"), ownerOf(c.get("identity")), deps.clock.now()), dbTimeoutMs);
    if (!row) throw notFound(c.req.param("id"));
    return c.json(listItems(row.inputItems.map(publicItem), c.req.valid("query")));
  });
}

function notFound(id: string): GatewayError {
  return GatewayError.notFound(`Response with id '${id}' not found.`, null, "response_id");
}

/** OpenAI's list shape; newest first unless `order=asc`. */
export function listItems(items: Record<string, unknown>[], q: { order?: "asc" | "desc"; limit?: number; after?: string }) {
  const limit = q.limit ?? 20;
  const ordered = q.order === "asc" ? items : [...items].reverse();
  const start = q.after === undefined ? 0 : ordered.findIndex((i) => i.id === q.after) + 1;
  const page = ordered.slice(start, start + limit);
  return {
    object: "list",
    data: page,
    first_id: (page[0]?.id as string | undefined) ?? null,
    last_id: (page[page.length - 1]?.id as string | undefined) ?? null,
    has_more: start + limit < ordered.length,
  };
}
