import type { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { jsonBody } from "../http/json-body";
import { EmbeddingsRequestSchema, toEmbeddingInvocations, toEmbeddingsResponse } from "../translate/embeddings";
import { admit, resolveModelFor } from "../gateway/admit";
import { textTokens } from "../usage/estimate";
import { routeBedrock } from "../routing/upstream";
import { noteRequestedModel } from "./resolve-model";

/** Bedrock has no batch embedding call for Titan: at most this many InvokeModel calls run at once per request. */
const CONCURRENCY = 4;

export function registerEmbeddings(app: Hono<AppEnv>, deps: Deps): void {
  const body = jsonBody(EmbeddingsRequestSchema, noteRequestedModel);

  app.post("/v1/embeddings", ...body, async (c) => {
    const req = c.req.valid("json");
    const draft = c.get("usage");
    const model = await resolveModelFor(c, deps, req.model, "embedding");

    const { bodies } = toEmbeddingInvocations(req, model);
    await admit(c, deps, { model, inputTokens: textTokens(JSON.stringify(req.input)), maxOutputTokens: 0 });
    const upstream = routeBedrock(deps, draft, model.targets, c.req.raw.signal);
    const results: unknown[] = new Array(bodies.length);
    const headerTokens: (number | null)[] = new Array(bodies.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        const r = await upstream.invokeModel(bodies[i]);
        results[i] = r.body;
        headerTokens[i] = r.inputTokens;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, bodies.length) }, worker));

    const out = toEmbeddingsResponse(results, {
      model: req.model,
      encodingFormat: req.encoding_format ?? "float",
      inputCount: Array.isArray(req.input) ? req.input.length : 1,
      headerTokens,
    });
    draft.usage = { inputTokens: out.inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    return c.json(out.response);
  });
}
