// The console's pages. Reads go through data.ts and changes through actions.ts, the same code the JSON API uses.
import type { Context, Hono } from "hono";
import { findKeyById } from "../db/keys";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { parseReportQuery } from "../report/query";
import { findModelRow } from "../db/models";
import { describeChanges } from "../cli/commands/describe";
import { createKeyAction, openAIEnv, revokeKeyAction, rotateKeyAction, setModelAction, setModelEnabledAction, updateKeyAction } from "./actions";
import { createdKeyJson, keyFilterOf, publicBaseUrl, requestFilterOf } from "./api";
import { type AdminEnv, readForm } from "./auth";
import { STACKS, type SpendQuery, type Stack, TABLE_DIMENSIONS, budgetsView, keysView, modelsView, monthSummary, spendView } from "./data";
import { budgetsPage } from "./pages/budgets";
import { createdKeyPage, editKeyPage, keysPage, revokeConfirmPage } from "./pages/keys";
import { modelFlagsFromFields, modelSetCommand } from "./model-form";
import { editModelPage, modelsPage } from "./pages/models";
import { requestsPage } from "./pages/requests";
import { spendPage } from "./pages/spend";
import { resolvePeriod } from "./periods";
import { latestRequests } from "./requests";

type C = Context<AdminEnv>;
const REQUESTS_PAGE = 100;

const actionCtx = (c: C, deps: Deps) => ({ db: c.get("scope").db, clock: deps.clock, actor: c.get("admin").actor });

/** A field error from an action, for showing beside the form instead of on an error page. */
function fieldError(err: unknown): string | null {
  return err instanceof GatewayError && (err.status === 400 || err.status === 409) ? err.message : null;
}

async function spend(c: C, deps: Deps) {
  const w = c.req.query();
  const db = c.get("scope").db;
  const now = deps.clock.now();
  const summary = await monthSummary(db, now);
  const p = resolvePeriod({ period: w.period, from: w.from, to: w.to }, now);
  const by = ((TABLE_DIMENSIONS as readonly string[]).includes(w.by ?? "") ? w.by : "user") as SpendQuery["by"];
  const stack = ((STACKS as readonly string[]).includes(w.stack ?? "") ? w.stack : "team") as Stack;
  // The user and team filters mean what the report's --user and --team mean.
  const filter = parseReportQuery({ user: w.user, team: w.team }, now);
  const fallback = resolvePeriod({}, now);
  const period = p.ok ? p.period : fallback.ok ? fallback.period : null!;
  const query: SpendQuery = { period, by, stack, ...(filter.ok ? { user: filter.query.user, team: filter.query.team } : {}) };
  const error = !p.ok ? p.message : !filter.ok ? filter.message : undefined;
  const view = error ? null : await spendView(db, query);
  return c.html(spendPage({ admin: c.get("admin"), summary, query, words: w, view, error }), error ? 400 : 200);
}

async function keyOr404(c: C) {
  const k = await findKeyById(c.get("scope").db, c.req.param("id") ?? "");
  if (!k) throw GatewayError.notFound("No such key.", "key_not_found");
  return k;
}

export function registerPages(app: Hono<AdminEnv>, deps: Deps): void {
  app.get("/", (c) => spend(c, deps));
  app.get("/budgets", async (c) => {
    const team = c.req.query("team")?.trim() || undefined;
    return c.html(budgetsPage(c.get("admin"), await budgetsView(c.get("scope").db, deps.clock, { team }), deps.clock.now(), team));
  });

  const keys = async (c: C, opts: Parameters<typeof keysPage>[3] = {}, status = 200) => {
    const filter = keyFilterOf(c.req.query());
    const list = await keysView(c.get("scope").db, deps.clock, filter);
    return c.html(keysPage(c.get("admin"), list, deps.clock.now(), { ...opts, filter }), status as 200);
  };
  app.get("/keys", (c) => {
    const done = c.req.query("done");
    const prefix = c.req.query("key") ?? "";
    const message = done === "revoked" ? `Revoked ${prefix}.` : done === "updated" ? `Saved the policy of ${prefix}.` : undefined;
    return keys(c, { message });
  });
  app.post("/keys", async (c) => {
    const form = await readForm(c);
    try {
      const created = await createKeyAction(actionCtx(c, deps), form);
      const j = createdKeyJson(c, deps, created);
      return c.html(createdKeyPage(c.get("admin"), created, j.env), 201);
    } catch (err) {
      const message = fieldError(err);
      if (message === null) throw err;
      return keys(c, { error: message, form }, 400);
    }
  });
  app.get("/keys/:id", async (c) => c.html(editKeyPage(c.get("admin"), await keyOr404(c), deps.clock.now())));
  app.post("/keys/:id/update", async (c) => {
    const id = c.req.param("id");
    try {
      const r = await updateKeyAction(actionCtx(c, deps), id, await readForm(c));
      return c.redirect(`/admin/keys?done=updated&key=${encodeURIComponent(r.key.prefix)}`, 303);
    } catch (err) {
      const message = fieldError(err);
      if (message === null) throw err;
      return c.html(editKeyPage(c.get("admin"), await keyOr404(c), deps.clock.now(), message), 400);
    }
  });
  app.post("/keys/:id/rotate", async (c) => {
    const id = c.req.param("id");
    try {
      const r = await rotateKeyAction(actionCtx(c, deps), id, await readForm(c));
      return c.html(createdKeyPage(c.get("admin"), r.created, openAIEnv(publicBaseUrl(c, deps), r.created.key), r.old.prefix), 201);
    } catch (err) {
      const message = fieldError(err);
      if (message === null) throw err;
      return c.html(editKeyPage(c.get("admin"), await keyOr404(c), deps.clock.now(), message), 400);
    }
  });
  app.get("/keys/:id/revoke", async (c) => c.html(revokeConfirmPage(c.get("admin"), await keyOr404(c))));
  app.post("/keys/:id/revoke", async (c) => {
    const r = await revokeKeyAction(actionCtx(c, deps), c.req.param("id"));
    return c.redirect(`/admin/keys?done=revoked&key=${encodeURIComponent(r.prefix)}`, 303);
  });

  app.get("/models", async (c) => {
    const done = c.req.query("done");
    const alias = c.req.query("model") ?? "";
    const message = done === "enabled" || done === "disabled" ? `${alias} is ${done}.` : undefined;
    return c.html(modelsPage(c.get("admin"), await modelsView(c.get("scope").db), message));
  });
  const modelOr404 = async (c: C) => {
    const m = await findModelRow(c.get("scope").db, c.req.param("alias") ?? "");
    if (!m) throw GatewayError.notFound("No such model.", "model_not_found");
    return m;
  };
  app.get("/models/:alias", async (c) => c.html(editModelPage(c.get("admin"), await modelOr404(c))));
  app.post("/models/:alias", async (c) => {
    const m = await modelOr404(c);
    const form = await readForm(c);
    try {
      const r = await setModelAction(actionCtx(c, deps), m.alias, form);
      const lines = describeChanges(r.changes);
      const message = lines.length === 0 ? `Nothing to change: ${m.alias} already has these settings.` : `Saved ${m.alias}: ${lines.join("; ")}.`;
      const flags = modelFlagsFromFields(form, m.targets);
      const command = lines.length > 0 && flags.ok ? modelSetCommand(m.alias, flags.value) : undefined;
      return c.html(modelsPage(c.get("admin"), await modelsView(c.get("scope").db), message, command));
    } catch (err) {
      const message = fieldError(err);
      if (message === null) throw err;
      return c.html(editModelPage(c.get("admin"), m, message, form), 400);
    }
  });
  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    app.post(`/models/:alias/${verb}`, async (c) => {
      const r = await setModelEnabledAction(actionCtx(c, deps), c.req.param("alias"), enabled);
      return c.redirect(`/admin/models?done=${verb}d&model=${encodeURIComponent(r.record.alias)}`, 303);
    });
  }

  app.get("/requests", async (c) => {
    const filter = requestFilterOf(c.req.query());
    const rows = await latestRequests(c.get("scope").db, filter, REQUESTS_PAGE);
    return c.html(requestsPage(c.get("admin"), rows, filter, REQUESTS_PAGE));
  });
}
