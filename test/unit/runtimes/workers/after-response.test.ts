import { describe, expect, it } from "vitest";
import { trackBackgroundWork } from "../../../../src/runtimes/workers/after-response";

function fakeContext() {
  const promises: Promise<unknown>[] = [];
  return {
    ctx: { waitUntil: (p: Promise<unknown>) => void promises.push(p), passThroughOnException() {} },
    settleAll: async () => {
      for (let i = 0; i < promises.length; i++) await promises[i];
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("trackBackgroundWork", () => {
  it("finishes a plain response after the work registered during the request, leaving the body as it is", async () => {
    const { ctx, settleAll } = fakeContext();
    const work = trackBackgroundWork(ctx, () => {});
    const order: string[] = [];
    let release!: () => void;
    work.waitUntil(new Promise<void>((r) => (release = r)).then(() => order.push("usage row")));
    const original = Response.json({ ok: true });
    const res = work.finishAfter(original, async () => void order.push("db end"));
    expect(res).toBe(original);
    await tick();
    expect(order).toEqual([]);
    release();
    await settleAll();
    expect(order).toEqual(["usage row", "db end"]);
  });

  // SSE for the OpenAI and Anthropic doors; Bedrock's binary event stream for the Bedrock door (ConverseStream,
  // InvokeModelWithResponseStream), whose usage row is written at its end just the same.
  it.each(["text/event-stream", "application/vnd.amazon.eventstream"])("waits for a %s body to end, and for the work it registers at its end", async (type) => {
    const { ctx, settleAll } = fakeContext();
    const work = trackBackgroundWork(ctx, () => {});
    const order: string[] = [];
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const res = work.finishAfter(new Response(body, { headers: { "content-type": type } }), async () => void order.push("db end"));
    expect(res.headers.get("content-type")).toBe(type);
    const reader = res.body!.getReader();
    controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
    // Each chunk is passed on as it comes.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 1\n\n");
    await tick();
    expect(order).toEqual([]);
    controller.close();
    work.waitUntil(tick().then(() => order.push("usage row")));
    expect((await reader.read()).done).toBe(true);
    await settleAll();
    expect(order).toEqual(["usage row", "db end"]);
  });

  it("cancels the app's stream when the client goes away, then finishes", async () => {
    const { ctx, settleAll } = fakeContext();
    const work = trackBackgroundWork(ctx, () => {});
    let cancelled: unknown = null;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array([1])),
      cancel: (reason) => void (cancelled = reason ?? "cancelled"),
    });
    let ended = false;
    const res = work.finishAfter(new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } }), async () => void (ended = true));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel("client gone");
    await settleAll();
    expect(cancelled).not.toBeNull();
    expect(ended).toBe(true);
  });

  it("reports failed work and still finishes", async () => {
    const { ctx, settleAll } = fakeContext();
    const errors: unknown[] = [];
    const work = trackBackgroundWork(ctx, (e) => errors.push(e));
    work.waitUntil(Promise.reject(new Error("insert failed")));
    let ended = false;
    work.finishAfter(new Response(null, { status: 204 }), async () => void (ended = true));
    await settleAll();
    expect(ended).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
