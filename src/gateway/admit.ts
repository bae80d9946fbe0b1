/**
 * Admission, the same for every door: the model the caller may use (allowlists at key, user and team level),
 * then its rate limits and budgets, counted and reserved in one database statement. Pure decisions live in
 * policy/; this file wires them to the request and records what was decided on its usage draft.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { inferModelEntry, type ModelEntry } from "../catalogue";
import { startAdmission } from "../db/admit";
import { withDeadline } from "../db/deadline";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { capabilitiesFor } from "../models/capabilities";
import type { CatalogueModel } from "../models/catalogue";
import { hasBudget, hasRateLimit, limitChecks, periodsAt, rateLimitHeaders, refusalError } from "../policy/limits";
import { allowedTargets, isWellFormedModelId } from "../policy/models";
import { maxCostMicros } from "../usage/cost";
import { modelLists } from "./identity";

export type AdmitDeps = Pick<Deps, "catalogue" | "config" | "clock" | "logger" | "admissionLeases">;

/**
 * Resolves the client's `model` to a catalogue entry (or, when unlisted models are allowed, a raw Bedrock id) and
 * keeps only the targets the caller may use. A model the caller may not use answers 404 `model_not_found`, as
 * OpenAI answers for models a key cannot see. The entry's `bedrockModelId` is the first allowed target.
 */
export async function resolveModelFor(c: Context<AppEnv>, deps: AdmitDeps, name: string, kind: ModelEntry["kind"]): Promise<CatalogueModel> {
  const draft = c.get("usage");
  draft.model = name;
  const identity = c.get("identity");
  const catalogue = await deps.catalogue.get(c.get("scope").db);
  const lists = modelLists(identity);
  let model: CatalogueModel | undefined = catalogue.resolve(name);
  if (!model && deps.config.ALLOW_UNLISTED_MODELS && isWellFormedModelId(name)) {
    const inferred = inferModelEntry(name);
    if (inferred)
      model = { ...inferred, ...capabilitiesOf(name, inferred), targets: [{ modelId: name, region: null, pricing: null }], pricing: null, enabled: true };
  }
  if (!model) throw GatewayError.modelNotFound(name);
  // A raw id the catalogue does not list carries no names a list could allow by; only an id pattern can.
  const listed = catalogue.resolve(name) !== undefined;
  const allowed = allowedTargets(lists, { names: listed ? [model.id, ...model.aliases] : [], targetIds: model.targets.map((t) => t.modelId) });
  if (allowed.length === 0) throw GatewayError.modelNotFound(name);
  if (model.kind !== kind) {
    throw GatewayError.invalidRequest(
      "model",
      kind === "chat" ? `The model \`${name}\` is an embedding model and cannot be used here.` : `The model \`${name}\` is not an embedding model.`,
      "model_not_supported",
    );
  }
  const targets = model.targets.filter((t) => allowed.includes(t.modelId));
  const first = targets[0]!;
  const resolved: CatalogueModel = { ...model, bedrockModelId: first.modelId, targets };
  draft.bedrockModelId = first.modelId;
  draft.targetRegion = first.region;
  draft.pricing = first.pricing;
  return resolved;
}

function capabilitiesOf(id: string, inferred: ModelEntry): Partial<ModelEntry> {
  const caps = capabilitiesFor(id);
  return { ...caps, kind: inferred.kind, embeddingFormat: caps.embeddingFormat ?? inferred.embeddingFormat };
}

/**
 * Counts the request against every rate limit and reserves its maximum cost against every budget that applies,
 * in one round trip (none when no level has limits). Refusals are 429s naming the limit; on success the
 * `x-ratelimit-*` headers are set and the lease is kept on the draft, released when the usage row is written.
 */
export async function admit(c: Context<AppEnv>, deps: AdmitDeps, ask: { model: CatalogueModel; inputTokens: number; maxOutputTokens: number }): Promise<void> {
  const identity = c.get("identity");
  const draft = c.get("usage");
  const checks = limitChecks(identity.levels);
  if (checks.length === 0) return;
  const pricing = ask.model.targets[0]?.pricing ?? null;
  const budgeted = hasBudget(checks);
  if (budgeted && ask.model.targets.some((t) => t.pricing === null)) {
    throw GatewayError.invalidRequest(
      "model",
      `The model \`${draft.model ?? ask.model.id}\` has no price in the gateway's catalogue, so a budgeted key cannot use it. Ask your gateway admin to set its price (bedrock-gateway models set).`,
      "model_price_unknown",
    );
  }
  const tokens = ask.inputTokens + ask.maxOutputTokens;
  // The dearest allowed target bounds what a fallback could cost.
  const cost = budgeted ? Math.max(...ask.model.targets.map((t) => maxCostMicros(ask.inputTokens, ask.maxOutputTokens, t.pricing ?? pricing!))) : 0;
  const now = deps.clock.now();
  const periods = periodsAt(now);
  const call = startAdmission(c.get("scope").db, periods, checks, tokens, cost, deps.config.DB_QUERY_TIMEOUT_MS, deps.admissionLeases);
  let result: Awaited<typeof call>;
  try {
    // Admitted from the caller's lease: no database call to bound.
    result = call instanceof Promise ? await withDeadline(call, deps.config.DB_QUERY_TIMEOUT_MS) : call;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (deps.config.DB_OUTAGE_POLICY === "fail-open") {
      // The key was authenticated from the cache; its row is queued and charged to the ledger once it is written.
      deps.logger.warn("admitted without rate limits or budget reservation: database unavailable (DB_OUTAGE_POLICY=fail-open)", {
        requestId: draft.requestId,
        error,
      });
      draft.admittedOpen = true;
      return;
    }
    deps.logger.error("admission failed: database unavailable", { requestId: draft.requestId, error });
    throw new GatewayError({
      status: 503,
      type: "server_error",
      code: "service_unavailable",
      message: "The gateway cannot check rate limits and budgets right now. Try again shortly.",
      retryAfter: 2,
    });
  }
  if (!result.ok) {
    draft.refusedBy = `${result.limit}:${result.subject.slice(0, result.subject.indexOf(":"))}`;
    throw refusalError(result, now, tokens);
  }
  const rate = checks.filter((x) => x.rpm !== undefined || x.tpm !== undefined).map((x) => x.subject);
  const budget = checks.filter((x) => x.daily !== undefined || x.monthly !== undefined).map((x) => x.subject);
  draft.lease = { window: periods.window, day: periods.day, month: periods.month, tokens: hasRateLimit(checks) ? tokens : 0, rate, cost, budget };
  for (const [k, v] of Object.entries(rateLimitHeaders(checks, result, now))) c.header(k, v);
}
