/**
 * The gateway on Cloudflare Workers (`wrangler deploy`; `npm run start:worker` runs it in local workerd).
 * Config and the Bedrock client live per isolate; the database client lives per request (Hyperdrive), and
 * is ended through ctx.waitUntil once the response and its usage row are done. The Worker never migrates:
 * run `bedrock-gateway migrate` against the database first (docs/deploy.md).
 */
import type { Hono } from "hono";
import { createApp } from "../app";
import type { AppEnv } from "../app-env";
import { randomIds, REQUEST_SCOPE, systemClock, type Deps, type RequestScope } from "../deps";
import { GatewayError, toOpenAIErrorBody } from "../errors";
import { createLogger } from "../logger";
import { trackBackgroundWork } from "./workers/after-response";
import { connectTimeoutSeconds } from "../db/deadline";
import { openRequestDatabase } from "./workers/database";
import type { ExecutionContext, WorkerEnv } from "./workers/env";
import { isolateState, type IsolateState } from "./workers/isolate";

const bootLogger = createLogger("error");

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const isolate = isolateState(env);
    if (!isolate.ok) {
      bootLogger.error("invalid Worker configuration", { problems: isolate.problems });
      return misconfigured();
    }
    const { state } = isolate;
    const work = trackBackgroundWork(ctx, (err) => state.logger.error("background task failed", { error: err }));
    let database;
    try {
      database = openRequestDatabase(env, { connectTimeout: connectTimeoutSeconds(state.config.DB_QUERY_TIMEOUT_MS) });
    } catch (err) {
      state.logger.error("no database for this request", { error: err });
      return misconfigured();
    }
    // The app lives per isolate (its key and model-list caches too); this request's database and waitUntil
    // travel as its RequestScope.
    const scope: RequestScope = { db: database.db, waitUntil: work.waitUntil };
    let response: Response;
    try {
      response = await isolateApp(state).fetch(request, { [REQUEST_SCOPE]: scope });
    } catch (err) {
      // Hono answers errors through onError; this is only for a failure outside it.
      ctx.waitUntil(database.end());
      throw err;
    }
    return work.finishAfter(response, database.end);
  },
};

const apps = new WeakMap<IsolateState, Hono<AppEnv>>();

function isolateApp(state: IsolateState): Hono<AppEnv> {
  let app = apps.get(state);
  if (!app) {
    // No process-wide database: every request brings its own through its RequestScope (scopeOf).
    const noScope = (): never => {
      throw new Error("background work outside a request scope");
    };
    const deps: Deps = { ...state, clock: systemClock, ids: randomIds, waitUntil: noScope };
    app = createApp(deps);
    apps.set(state, app);
  }
  return app;
}

function misconfigured(): Response {
  const body = toOpenAIErrorBody(GatewayError.internal());
  return Response.json(body, { status: 500 });
}
