import type { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Deps } from "../deps";
import { jsonBody } from "../http/json-body";
import { EmbeddingsRequestSchema, toEmbeddingInvocations, toEmbeddingsResponse } from "../translate/embeddings";
import { admit, resolveModelFor } from "../gateway/admit";
import { requestSignal } from "../gateway/in-flight";
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
    // One failed call fails the request, so the others are cancelled at once (each call that completes is billed),
    // as they are when the client goes away; the tokens of the calls that did complete are still recorded.
    const calls = new AbortController();
    const clientSignal = requestSignal(c);
    const onClientAbort = () => calls.abort(clientSignal.reason);
    if (clientSignal.aborted) onClientAbort();
    else clientSignal.addEventListener("abort", onClientAbort, { once: true });
    const upstream = routeBedrock(deps, draft, model.targets, calls.signal);
    const results: unknown[] = new Array(bodies.length);
    const headerTokens: (number | null)[] = new Array(bodies.length).fill(null);
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < bodies.length && !calls.signal.aborted) {
        const i = next++;
        try {
          const r = await upstream.invokeModel(bodies[i]);
          results[i] = r.body;
          headerTokens[i] = r.inputTokens;
        } catch (error) {
          // The first failure is the request's answer; the cancelled siblings' errors are not.
          if (failures.push(error) === 1) calls.abort();
          return;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, bodies.length) }, worker));
    } finally {
      clientSignal.removeEventListener("abort", onClientAbort);
    }
    if (failures.length > 0) {
      const billed = results.reduce<number>((sum, r, i) => (r === undefined ? sum : sum + billedInputTokens(r, headerTokens[i] ?? null)), 0);
      draft.usage = { inputTokens: billed, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
      throw failures[0];
    }

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

/** The input tokens Bedrock billed for one completed call: its header, else what the body reports (Titan, Cohere). */
function billedInputTokens(result: unknown, header: number | null): number {
  if (header !== null && Number.isFinite(header)) return header;
  const r = result as { inputTextTokenCount?: unknown; meta?: { billed_units?: { input_tokens?: unknown } } } | null;
  const n = r?.inputTextTokenCount ?? r?.meta?.billed_units?.input_tokens;
  return typeof n === "number" && Number.isFinite(n) ? n : 0;
}
