import type { Context, Hono } from "hono";
import { modelLists } from "../gateway/identity";
import { allowedTargets } from "../policy/models";
import type { AppEnv } from "../app-env";
import type { ModelEntry } from "../catalogue";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";

type ModelObject = { id: string; object: "model"; created: number; owned_by: string };

/** Stable `created` for catalogue entries (OpenAI's field is informational). */
const CATALOGUE_CREATED = 1_735_689_600; // 2025-01-01
const BEDROCK_LIST_TTL_MS = 10 * 60 * 1000;

export function registerModels(app: Hono<AppEnv>, deps: Deps): void {
  let cache: { at: number; models: ModelObject[] } | null = null;

  async function bedrockModels(): Promise<ModelObject[]> {
    if (!deps.config.LIST_BEDROCK_MODELS) return [];
    const now = deps.clock.now();
    if (cache && now - cache.at < BEDROCK_LIST_TTL_MS) return cache.models;
    try {
      const [foundation, profiles] = await Promise.all([deps.bedrock.listFoundationModels(), deps.bedrock.listInferenceProfiles()]);
      const models: ModelObject[] = [
        ...profiles.filter((p) => !p.status || p.status === "ACTIVE").map((p) => toObject(p.inferenceProfileId, "bedrock")),
        ...foundation.map((m) => toObject(m.modelId, (m.providerName ?? "bedrock").toLowerCase())),
      ];
      cache = { at: now, models };
      return models;
    } catch (err) {
      // The catalogue still answers; a stale list beats none.
      deps.logger.warn("listing Bedrock models failed", { error: err instanceof Error ? err.message : String(err) });
      return cache?.models ?? [];
    }
  }

  /** Whether the caller may use this entry (or raw id): the same rule as admission, so the list never offers a model a request would be refused. */
  function visible(c: Context<AppEnv>, names: string[], targetIds: string[]): boolean {
    const lists = modelLists(c.get("identity"));
    return allowedTargets(lists, { names, targetIds }).length > 0;
  }

  async function allModels(c: Context<AppEnv>): Promise<ModelObject[]> {
    const catalogue = await deps.catalogue.get(c.get("scope").db);
    const seen = new Set<string>();
    const out: ModelObject[] = [];
    for (const m of catalogue.models) {
      if (
        !m.enabled ||
        seen.has(m.id) ||
        !visible(
          c,
          [m.id, ...m.aliases],
          m.targets.map((t) => t.modelId),
        )
      )
        continue;
      seen.add(m.id);
      out.push(fromEntry(m));
    }
    if (deps.config.ALLOW_UNLISTED_MODELS) {
      for (const m of await bedrockModels()) {
        if (seen.has(m.id) || !visible(c, [], [m.id])) continue;
        seen.add(m.id);
        out.push(m);
      }
    }
    return out;
  }

  app.get("/v1/models", async (c) => c.json({ object: "list", data: await allModels(c) }));

  app.get("/v1/models/:id{.+}", async (c) => {
    const id = c.req.param("id");
    const catalogue = await deps.catalogue.get(c.get("scope").db);
    const entry = catalogue.resolve(id);
    if (
      entry &&
      visible(
        c,
        [entry.id, ...entry.aliases],
        entry.targets.map((t) => t.modelId),
      )
    )
      return c.json({ ...fromEntry(entry), id });
    if (!entry && deps.config.ALLOW_UNLISTED_MODELS && visible(c, [], [id])) {
      const listed = (await bedrockModels()).find((m) => m.id === id);
      if (listed) return c.json(listed);
    }
    throw GatewayError.modelNotFound(id);
  });
}

function fromEntry(m: ModelEntry): ModelObject {
  return toObject(m.id, m.ownedBy);
}

function toObject(id: string, ownedBy: string): ModelObject {
  return { id, object: "model", created: CATALOGUE_CREATED, owned_by: ownedBy };
}
