/**
 * The gateway on Cloudflare Workers (`wrangler deploy`; `npm run start:worker` runs it in local workerd).
 * Config and the Bedrock client live per isolate; the database client lives per request (Hyperdrive), and
 * is ended through ctx.waitUntil once the response and its usage row are done. The Worker never migrates:
 * run `bedrock-gateway migrate` against the database first (docs/deploy.md).
 */
import { createApp } from "../app";
import { randomIds, systemClock, type Deps } from "../deps";
import { GatewayError, toOpenAIErrorBody } from "../errors";
import { createLogger } from "../logger";
import { trackBackgroundWork } from "./workers/after-response";
import { openRequestDatabase } from "./workers/database";
import type { ExecutionContext, WorkerEnv } from "./workers/env";
import { isolateState } from "./workers/isolate";

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
      database = openRequestDatabase(env);
    } catch (err) {
      state.logger.error("no database for this request", { error: err });
      return misconfigured();
    }
    const deps: Deps = { ...state, db: database.db, clock: systemClock, ids: randomIds, waitUntil: work.waitUntil };
    // createApp per request, so `db` and `waitUntil` are this request's: no I/O, but about 0.15 ms of CPU (routes
    // registered and the router compiled again). Deps resolving `db` per request would let the app live per isolate.
    let response: Response;
    try {
      response = await createApp(deps).fetch(request);
    } catch (err) {
      // Hono answers errors through onError; this is only for a failure outside it.
      ctx.waitUntil(database.end());
      throw err;
    }
    return work.finishAfter(response, database.end);
  },
};

function misconfigured(): Response {
  const body = toOpenAIErrorBody(GatewayError.internal());
  return Response.json(body, { status: 500 });
}
