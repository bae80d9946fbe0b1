/** A 413 states the configured MAX_BODY_BYTES, whichever body-limit path raised it. */
import { bodyLimit } from "hono/body-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "./app-harness";

let t: TestDb;
let h: Harness;
let key: string;
beforeAll(async () => {
  t = await openTestPostgres();
  h = createHarness({ db: t.db, env: { MAX_BODY_BYTES: "2048" } });
  // A route limited by Hono's own bodyLimit, whose default answer is an HTTPException(413) for the app's error handler.
  h.app.post("/v1/limited-probe", bodyLimit({ maxSize: 16 }), (c) => c.text("ok"));
  key = (await h.newKey("body-limit")).key;
});
afterAll(async () => t.close());

const big = JSON.stringify({ model: "nova-lite", messages: [{ role: "user", content: "x".repeat(5_000) }] });

describe("413", () => {
  it.each([
    ["with a content-length", () => h.post("/v1/chat/completions", key, big)],
    [
      "streamed without a content-length",
      () =>
        h.app.request("/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode(big));
              c.close();
            },
          }),
          duplex: "half",
        } as RequestInit),
    ],
    ["from Hono's bodyLimit (HTTPException)", () => h.post("/v1/limited-probe", key, big)],
  ])("%s names the configured limit", async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("request_too_large");
    expect(error.message).toContain("limit of 2048 bytes");
  });
});
