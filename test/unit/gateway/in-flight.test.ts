/**
 * The door request's signal (gateway/in-flight.ts): the client's abort and the graceful stop's both reach it, for
 * the request's whole life, and it costs nothing once the request is over. AbortSignal.any kept every composite
 * that had an abort listener (Node 20 and 22), which `npm run soak` saw as a heap growing ~2 KB a request.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/app-env";
import { GatewayError } from "../../../src/errors";
import { inFlight, requestSignal } from "../../../src/gateway/in-flight";
import { createShutdownSignal } from "../../../src/gateway/shutdown-signal";
import { silentLogger } from "../../../src/logger";

function appWith(onSignal: (s: AbortSignal) => void) {
  const shutdown = createShutdownSignal();
  const app = new Hono<AppEnv>();
  app.use("*", inFlight({ shutdown, logger: silentLogger }));
  app.post("/", (c) => {
    const signal = requestSignal(c);
    // As a fetch to Bedrock does.
    signal.addEventListener("abort", () => {});
    onSignal(signal);
    return c.text("ok");
  });
  return { app, shutdown };
}

describe("inFlight's request signal", () => {
  it("follows the client's abort after the handler has returned (a stream's relay reads it then)", async () => {
    let seen: AbortSignal | undefined;
    const { app } = appWith((s) => (seen = s));
    const client = new AbortController();
    const res = await app.request(new Request("http://gw/", { method: "POST", signal: client.signal }));
    expect(res.status).toBe(200);
    expect(seen!.aborted).toBe(false);
    client.abort(new Error("client went away"));
    expect(seen!.aborted).toBe(true);
  });

  it("is aborted with shutting_down by the graceful stop", async () => {
    let seen: AbortSignal | undefined;
    const { app, shutdown } = appWith((s) => (seen = s));
    shutdown.trigger();
    await app.request("http://gw/", { method: "POST" });
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBeInstanceOf(GatewayError);
    expect((seen!.reason as GatewayError).code).toBe("shutting_down");
  });

  it("keeps nothing of a finished request", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const { app } = appWith(() => {});
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) await app.request("http://gw/", { method: "POST" });
    };
    await run(2_000);
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    await run(40_000);
    await new Promise((r) => setTimeout(r, 10));
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // AbortSignal.any kept about 1 KB per request here (some 40 MB); a bounded heap stays within a few MB.
    expect(grown).toBeLessThan(12 * 1024 * 1024);
  }, 60_000);
});
