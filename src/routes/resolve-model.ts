import type { ModelEntry } from "../catalogue";
import { inferModelEntry } from "../catalogue";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";

/** Resolves the client's `model` through the catalogue (aliases), or as a raw Bedrock id when unlisted models are allowed. */
export function resolveModel(deps: Pick<Deps, "catalogue" | "config">, name: string, kind: ModelEntry["kind"]): ModelEntry {
  const entry = deps.catalogue.resolve(name) ?? (deps.config.ALLOW_UNLISTED_MODELS ? inferModelEntry(name) : undefined);
  if (!entry) throw GatewayError.modelNotFound(name);
  if (entry.kind !== kind) {
    throw GatewayError.invalidRequest(
      "model",
      kind === "chat"
        ? `The model \`${name}\` is an embedding model and cannot be used with /v1/chat/completions.`
        : `The model \`${name}\` is not an embedding model.`,
      "model_not_supported",
    );
  }
  return entry;
}

/** Resolves the model and records it (as asked, as sent to Bedrock, and its price) on the request's usage row. */
export function resolveModelFor(
  deps: Pick<Deps, "catalogue" | "config">,
  draft: { model: string | null; bedrockModelId: string | null; price: ModelEntry["price"] | null },
  name: string,
  kind: ModelEntry["kind"],
): ModelEntry {
  const model = resolveModel(deps, name, kind);
  draft.model = name;
  draft.bedrockModelId = model.bedrockModelId;
  draft.price = model.price;
  return model;
}

/** For jsonBody's raw hook: lets a rejected request's usage row still name the model it asked for. */
export function noteRequestedModel(raw: unknown, c: { get(key: "usage"): { model: string | null } }): void {
  const model = (raw as { model?: unknown } | null)?.model;
  if (typeof model === "string") c.get("usage").model = model.slice(0, 256);
}
