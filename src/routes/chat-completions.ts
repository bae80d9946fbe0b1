import type { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { jsonBody } from "../http/json-body";
import { setWarnings } from "../http/warnings";
import { toChatCompletion } from "../translate/converse-to-openai";
import { ChatCompletionRequestSchema } from "../translate/openai-types";
import { toConverseRequest } from "../translate/openai-to-converse";
import { resolveRemoteImages } from "../translate/remote-images";
import { admit, resolveModelFor } from "../gateway/admit";
import { requestSignal } from "../gateway/in-flight";
import { estimateInputTokens } from "../usage/estimate";
import { routeBedrock } from "../routing/upstream";
import { noteRequestedModel } from "./resolve-model";
import { streamChatCompletion } from "./chat-stream";

export function registerChatCompletions(app: Hono<AppEnv>, deps: Deps): void {
  const body = jsonBody(ChatCompletionRequestSchema, noteRequestedModel);

  app.post("/v1/chat/completions", ...body, async (c) => {
    const draft = c.get("usage");
    const parsed = c.req.valid("json");
    const model = await resolveModelFor(c, deps, parsed.model, "chat");
    // Only once the caller may use the model, and only for models that read images: fetching costs the gateway.
    const req =
      deps.config.ALLOW_REMOTE_IMAGES && deps.fetchRemoteImage && model.vision
        ? await resolveRemoteImages(parsed, deps.fetchRemoteImage, c.req.raw.signal)
        : parsed;
    draft.stream = req.stream === true;

    const now = deps.clock.now();
    const translated = toConverseRequest(req, {
      model,
      allowPassthrough: deps.config.ALLOW_BEDROCK_PASSTHROUGH,
      temperatureAboveOne: deps.config.TEMPERATURE_ABOVE_ONE,
      reasoningFor: (id) => deps.reasoningStore.get(id, now),
    });
    const warnings = [...translated.warnings];
    if (translated.thinkingDropped) warnings.push(translated.thinkingDropped);
    setWarnings(c, warnings);

    draft.inputEstimate = estimateInputTokens(translated.body);
    await admit(c, deps, { model, inputTokens: draft.inputEstimate, maxOutputTokens: translated.body.inferenceConfig?.maxTokens ?? model.maxOutputTokens });

    const meta = {
      id: deps.ids.completionId(),
      created: Math.floor(now / 1000),
      model: req.model,
      jsonToolName: translated.jsonToolName,
      legacyFunctions: translated.legacyFunctions,
    };
    const signal = requestSignal(c);
    const upstream = routeBedrock(deps, draft, model.targets, signal);

    if (draft.stream) {
      return streamChatCompletion(c, deps, {
        open: () => upstream.converseStream(translated.body),
        body: translated.body,
        meta: { ...meta, includeUsage: req.stream_options?.include_usage === true },
        draft,
        signal,
      });
    }

    const res = await upstream.converse(translated.body);
    const out = toChatCompletion(res, meta);
    draft.usage = out.usage;
    draft.stopReason = out.stopReason;
    if (translated.thinking && out.reasoning.length > 0 && out.toolCallIds.length > 0) {
      deps.reasoningStore.put(out.toolCallIds, out.reasoning, deps.clock.now());
    }
    return c.json(out.completion);
  });
}
