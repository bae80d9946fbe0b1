/**
 * The concurrency limits: past MAX_CONCURRENT_PER_KEY a key's next request is refused at once with 429, past
 * MAX_CONCURRENT_REQUESTS every next request with 503 and `retry-after`, each in its door's error shape and with
 * its usage row; a slot is held until the request (a stream: the stream) ends, however it ends.
 */
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { usageEvents } from "../../../src/db/schema";
import { createConcurrencyLimiter } from "../../../src/gateway/concurrency";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "./app-harness";

let sim: Simulator;
let t: TestDb;
let h: Harness;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url, env: { MAX_CONCURRENT_REQUESTS: "3", MAX_CONCURRENT_PER_KEY: "2" } });
});
afterAll(async () => {
  await sim.close();
  await t.close();
});

const LONG = "[sim:delay=50] [sim:words=400] long";
const chat = (key: string, content: string, stream = false) =>
  h.post("/v1/chat/completions", key, { model: "claude-sonnet-4-5", stream, messages: [{ role: "user", content }] });
const messages = (key: string) => h.post("/v1/messages", key, { model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
const converse = (key: string) =>
  h.post(`/bedrock/model/${encodeURIComponent("anthropic.claude-sonnet-4-5-20250929-v1:0")}/converse`, key, {
    messages: [{ role: "user", content: [{ text: "hi" }] }],
  });

/** Reads until the first content chunk: the stream is open upstream. */
async function firstChunk(res: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const r = await reader.read();
  expect(r.done).toBe(false);
  return reader;
}

describe("the limiter", () => {
  it.each([
    { limits: { instance: 2, perCaller: 0 }, take: ["a", "b", "c"], expect: [true, true, "instance"] },
    { limits: { instance: 0, perCaller: 1 }, take: ["a", "a", "b"], expect: [true, "caller", true] },
    { limits: { instance: 3, perCaller: 2 }, take: ["a", "a", "a", "b", "c"], expect: [true, true, "caller", true, "instance"] },
    { limits: { instance: 0, perCaller: 0 }, take: ["a", "a", "a"], expect: [true, true, true] },
  ])("$limits: $take", ({ limits, take, expect: want }) => {
    const l = createConcurrencyLimiter(limits);
    const got = take.map((caller) => {
      const s = l.acquire(caller);
      return "refused" in s ? s.refused : true;
    });
    expect(got).toEqual(want);
  });

  it("gives a slot back once, however often it is released", () => {
    const l = createConcurrencyLimiter({ instance: 1, perCaller: 0 });
    const s = l.acquire("a");
    if ("refused" in s) throw new Error("refused");
    s.release();
    s.release();
    expect(l.inFlight).toBe(0);
    expect("refused" in l.acquire("b")).toBe(false);
    expect("refused" in l.acquire("c")).toBe(true);
  });
});

describe("concurrency limits on the doors", () => {
  it("refuses at once past each limit, in each door's shape, with a usage row, and frees a slot when a stream ends", async () => {
    const a = await h.newKey("conc-a");
    const b = await h.newKey("conc-b");
    const c = await h.newKey("conc-c");
    const a1 = await firstChunk(await chat(a.key, LONG, true));
    const a2 = await firstChunk(await chat(a.key, LONG, true));

    const perKey = await chat(a.key, "third");
    expect(perKey.status).toBe(429);
    expect(perKey.headers.get("retry-after")).toBe("1");
    expect(((await perKey.json()) as { error: { code: string } }).error.code).toBe("concurrency_limit_exceeded");

    const b1 = await firstChunk(await chat(b.key, LONG, true));
    // Three open: the instance is full for every caller and every door.
    const full = await chat(c.key, "fourth");
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("1");
    expect(await full.json()).toMatchObject({ error: { type: "server_error", code: "gateway_at_capacity" } });
    const anthropic = await messages(c.key);
    expect(anthropic.status).toBe(529);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    const bedrock = await converse(c.key);
    expect(bedrock.status).toBe(503);
    expect(bedrock.headers.get("x-amzn-errortype")).toMatch(/^ServiceUnavailableException/);
    expect(Object.keys((await bedrock.json()) as object)).toEqual(["message"]);

    // A client that goes away frees its slot; so does a stream read to its end.
    await a1.cancel();
    const again = await chat(a.key, "after a disconnect");
    expect(again.status, await again.clone().text()).toBe(200);
    await a2.cancel();
    await b1.cancel();
    const after = await Promise.all([chat(c.key, "one"), chat(c.key, "two"), chat(b.key, "three")]);
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    const short = await chat(c.key, "[sim:words=3] short", true);
    await short.text();
    const last = await Promise.all([chat(a.key, "x"), chat(a.key, "y"), chat(b.key, "z")]);
    expect(last.map((r) => r.status)).toEqual([200, 200, 200]);

    await h.settle();
    const rows = await t.db
      .select()
      .from(usageEvents)
      .where(inArray(usageEvents.keyId, [a.id, b.id, c.id]));
    const refused = rows.filter((r) => r.status === "error");
    expect(refused.map((r) => `${r.httpStatus} ${r.errorCode}`).sort()).toEqual([
      "429 concurrency_limit_exceeded",
      "503 gateway_at_capacity",
      "503 gateway_at_capacity",
      // Anthropic's status for a gateway short of capacity.
      "529 gateway_at_capacity",
    ]);
    const aborted = rows.filter((r) => r.status === "aborted");
    expect(aborted).toHaveLength(3);
    expect((await t.db.select().from(usageEvents).where(eq(usageEvents.keyId, c.id))).filter((r) => r.status === "ok")).toHaveLength(3);
  });
});
