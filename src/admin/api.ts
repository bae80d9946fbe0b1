// The console's JSON API under /admin/api (and GET /admin/usage): the admin token as a bearer, or a console session
// with its CSRF token on changes. Errors are OpenAI-shaped JSON, like the rest of the gateway's API.
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { CreatedKey } from "../db/keys";
import type { PriceRow } from "../db/schema";
import { usageReport } from "../db/report";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { validQuery } from "../http/query";
import { reportCsv, reportJson } from "../report/format";
import { formatMicros } from "../usage/cost";
import { changesJson, modelJson } from "../cli/shapes";
import { createKeyAction, openAIEnv, revokeKeyAction, rotateKeyAction, setModelAction, setModelEnabledAction, updateKeyAction } from "./actions";
import { type AdminEnv, readForm } from "./auth";
import { requestOrigin } from "./cookie-policy";
import { BudgetsQuery, dailyQuery, KeysQuery, RequestsQuery, reportQuery } from "./api-queries";
import { budgetJson, budgetsView, keyJson, keysView, modelsView, monthSummary, spendView } from "./data";
import { REQUEST_STATUSES, type RequestFilter, latestRequests } from "./requests";

type C = Context<AdminEnv>;

const usd = (m: number | null | undefined) => (m == null ? null : formatMicros(m));
const priceUsd = (p: PriceRow | null | undefined) =>
  p ? { input: usd(p.input), output: usd(p.output), cache_read: usd(p.cacheRead), cache_write: usd(p.cacheWrite) } : null;

/** The base URL a new key is used with: PUBLIC_URL, else the origin the admin's browser used. */
export function publicBaseUrl(c: C, deps: Deps): string {
  const origin =
    deps.config.PUBLIC_URL ??
    requestOrigin({
      url: c.req.url,
      forwardedProto: c.req.header("x-forwarded-proto"),
      forwardedHost: c.req.header("x-forwarded-host"),
      trustProxy: deps.config.TRUST_PROXY,
    });
  return `${origin}/v1`;
}

export function createdKeyJson(c: C, deps: Deps, k: CreatedKey) {
  const base = publicBaseUrl(c, deps);
  return {
    id: k.id,
    key: k.key,
    prefix: k.prefix,
    user: k.user,
    team: k.team,
    name: k.name,
    expires_at: k.expiresAt?.toISOString() ?? null,
    openai_base_url: base,
    env: openAIEnv(base, k.key),
  };
}

/** A JSON or form body as fields. */
async function fieldsOf(c: C): Promise<Record<string, unknown>> {
  if (/^application\/json/i.test(c.req.header("content-type") ?? "")) {
    const body = await c.req.json().catch(() => {
      throw GatewayError.invalidRequest(null, "The body is not valid JSON.", "invalid_json");
    });
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw GatewayError.invalidRequest(null, "The body must be a JSON object.");
    return body as Record<string, unknown>;
  }
  return readForm(c);
}

const actionCtx = (c: C, deps: Deps) => ({ db: c.get("scope").db, clock: deps.clock, actor: c.get("admin").actor });

/** The report with the CLI's query words, as `usage report --format json` (or `csv`) prints it. */
async function report(c: C, query: z.output<ReturnType<typeof reportQuery>>) {
  const rows = await usageReport(c.get("scope").db, query);
  if (query.format === "csv") {
    return c.body(`${reportCsv(rows, query.by).join("\r\n")}\r\n`, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="usage-${query.since.toISOString().slice(0, 10)}-${query.until.toISOString().slice(0, 10)}.csv"`,
    });
  }
  return c.json(reportJson(rows, query.by));
}

export function registerAdminUsage(app: Hono<AdminEnv>, deps: Deps): void {
  app.get("/usage", validQuery(reportQuery(deps.clock), "invalid_query"), (c) => report(c, { ...c.req.valid("query"), format: "json" }));
}

export function registerAdminApi(api: Hono<AdminEnv>, deps: Deps): void {
  api.get("/session", (c) => {
    const a = c.get("admin");
    return c.json(
      a.kind === "session" ? { kind: "session", csrf_token: a.session.csrfToken, expires_at: a.session.expiresAt.toISOString() } : { kind: "token" },
    );
  });
  api.get("/report", validQuery(reportQuery(deps.clock), "invalid_query"), (c) => report(c, c.req.valid("query")));
  api.get("/summary", async (c) => {
    const s = await monthSummary(c.get("scope").db, deps.clock.now());
    return c.json({
      month: s.month,
      cost_usd: usd(s.costMicros),
      requests: s.requests,
      errors: s.errors,
      top_user: s.topUser && { user: s.topUser.name, cost_usd: usd(s.topUser.costMicros) },
      top_model: s.topModel && { model: s.topModel.name, cost_usd: usd(s.topModel.costMicros) },
      top_team: s.topTeam && { team: s.topTeam.name, cost_usd: usd(s.topTeam.costMicros) },
    });
  });
  api.get("/daily", validQuery(dailyQuery(deps.clock), "invalid_query"), async (c) => {
    const q = c.req.valid("query");
    const v = await spendView(c.get("scope").db, { ...q, by: "user" });
    return c.json({
      since: q.period.since.toISOString(),
      until: q.period.until.toISOString(),
      stack: v.series.stack,
      names: v.series.names,
      days: v.series.days.map((d) => ({
        day: d.day,
        cost_usd: usd(d.totalMicros),
        requests: d.requests,
        parts: Object.fromEntries(d.parts.map((p) => [p.name, usd(p.micros)])),
      })),
    });
  });
  api.get("/budgets", validQuery(BudgetsQuery, "invalid_query"), async (c) =>
    c.json((await budgetsView(c.get("scope").db, deps.clock, { team: c.req.valid("query").team?.trim() || undefined })).map(budgetJson)),
  );
  api.get("/keys", validQuery(KeysQuery, "invalid_query"), async (c) => {
    const now = deps.clock.now();
    return c.json((await keysView(c.get("scope").db, deps.clock, keyFilterOf(c.req.valid("query")))).map((k) => keyJson(k, now)));
  });
  api.post("/keys", async (c) => {
    const created = await createKeyAction(actionCtx(c, deps), await fieldsOf(c));
    return c.json(createdKeyJson(c, deps, created), 201);
  });
  api.post("/keys/:id", async (c) => {
    const r = await updateKeyAction(actionCtx(c, deps), c.req.param("id"), await fieldsOf(c));
    return c.json({ id: r.key.id, prefix: r.key.prefix, changes: r.changes });
  });
  api.post("/keys/:id/rotate", async (c) => {
    const r = await rotateKeyAction(actionCtx(c, deps), c.req.param("id"), await fieldsOf(c));
    return c.json({ ...createdKeyJson(c, deps, r.created), replaces: r.old.id, old_expires_at: r.old.expiresAt?.toISOString() ?? null });
  });
  api.post("/keys/:id/revoke", async (c) => {
    const r = await revokeKeyAction(actionCtx(c, deps), c.req.param("id"));
    return c.json({ id: r.id, prefix: r.prefix, revoked_at: r.revokedAt?.toISOString() ?? null, already_revoked: r.alreadyRevoked });
  });
  api.get("/models", async (c) =>
    c.json(
      (await modelsView(c.get("scope").db)).map((m) => ({
        alias: m.alias,
        aliases: m.aliases,
        kind: m.kind,
        enabled: m.enabled,
        targets: m.targets.map((t) => ({ model_id: t.modelId, region: t.region ?? null, price_per_million_usd: priceUsd(t.price) })),
        price_per_million_usd: priceUsd(m.price),
        source: m.source ?? null,
      })),
    ),
  );
  // The fields of the console's model form (aliases, input, output, cache_read, cache_write, target_N, target_N_input…).
  api.post("/models/:alias", async (c) => {
    const r = await setModelAction(actionCtx(c, deps), c.req.param("alias"), await fieldsOf(c));
    return c.json({ ...modelJson(r.record), changes: changesJson(r.changes) });
  });
  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    api.post(`/models/:alias/${verb}`, async (c) => {
      const r = await setModelEnabledAction(actionCtx(c, deps), c.req.param("alias"), enabled);
      return c.json({ alias: r.record.alias, enabled: r.record.enabled, changed: r.changed });
    });
  }
  api.get("/requests", validQuery(RequestsQuery, "invalid_query"), async (c) => {
    const q = c.req.valid("query");
    const rows = await latestRequests(c.get("scope").db, requestFilterOf(q), q.limit ?? 100);
    return c.json(
      rows.map((r) => ({
        id: r.id,
        request_id: r.requestId,
        created_at: r.createdAt.toISOString(),
        user: r.user,
        team: r.team,
        key: r.keyPrefix,
        model: r.model,
        endpoint: r.endpoint,
        stream: r.stream,
        status: r.status,
        http_status: r.httpStatus,
        error_code: r.errorCode,
        input_tokens: r.inputTokens,
        output_tokens: r.outputTokens,
        cache_read_tokens: r.cacheReadTokens,
        cache_write_tokens: r.cacheWriteTokens,
        cost_usd: usd(r.costMicros),
        cost_known: r.costKnown,
        latency_ms: r.latencyMs,
        ttft_ms: r.ttftMs,
      })),
    );
  });
}

/** The Requests filters from query words; unknown statuses and malformed paging are ignored. */
export function requestFilterOf(q: Partial<Record<"user" | "team" | "model" | "key" | "status" | "before", string>>): RequestFilter {
  const f: RequestFilter = {};
  for (const k of ["user", "team", "model", "key"] as const) if (q[k]?.trim()) f[k] = k === "user" ? q[k].trim().toLowerCase() : q[k].trim();
  if ((REQUEST_STATUSES as readonly string[]).includes(q.status ?? "")) f.status = q.status as RequestFilter["status"];
  if (/^\d{1,15}$/.test(q.before ?? "")) f.before = Number(q.before);
  return f;
}

/** The Keys page's filters: the owner's email and the team, as `keys list --user/--team` takes them. */
export function keyFilterOf(q: { user?: string; team?: string }): { user?: string; team?: string } {
  const f: { user?: string; team?: string } = {};
  if (q.user?.trim()) f.user = q.user.trim().toLowerCase();
  if (q.team?.trim()) f.team = q.team.trim();
  return f;
}
