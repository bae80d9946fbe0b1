/**
 * The Node transport's response bodies (src/runtimes/node/http-fetch.ts) against a local node:http server: a slow
 * reader holds the upstream back, cancelling or aborting ends the upstream request, a cut-off body rejects the read,
 * 204/304/HEAD have null bodies and free their socket, and repeated headers read as fetch reads them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeFetch } from "../../../../src/runtimes/node/http-fetch";

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes = new Map<string, Route>();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const route = routes.get(new URL(req.url!, "http://x").pathname);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    route(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Resolves when the server side of a request closes, with whether its response had finished. */
function closedOnServer(res: http.ServerResponse): Promise<{ finished: boolean }> {
  return new Promise((resolve) => res.once("close", () => resolve({ finished: res.writableFinished })));
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return Buffer.concat(chunks);
    chunks.push(r.value);
  }
}

describe("createNodeFetch response bodies", () => {
  it("holds the upstream back while the reader does not read, then delivers every byte in order", async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 64 * 1024 * 1024;
    const piece = Buffer.alloc(CHUNK);
    for (let i = 0; i < CHUNK; i++) piece[i] = i % 251;
    let written = 0;
    let stalled: () => void = () => {};
    const stall = new Promise<void>((r) => (stalled = r));
    routes.set("/large", (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK;
          if (!res.write(piece)) {
            // Full: the client's socket is not being read. Stalled once no drain comes for a while.
            const t = setTimeout(stalled, 200);
            res.once("drain", () => {
              clearTimeout(t);
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });

    const res = await createNodeFetch()(`${base}/large`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Nothing reads now: the server must stall long before it has written everything.
    await Promise.race([stall, new Promise((r) => setTimeout(r, 5_000))]);
    expect(written).toBeLessThan(TOTAL);

    let size = first.value!.byteLength;
    let offset = size;
    let inOrder = first.value!.every((b, i) => b === i % 251);
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      for (let i = 0; i < r.value.byteLength; i++) if (r.value[i] !== ((offset + i) % CHUNK) % 251) inOrder = false;
      offset += r.value.byteLength;
      size += r.value.byteLength;
    }
    expect(size).toBe(TOTAL);
    expect(inOrder).toBe(true);
  });

  it("hands a chunk to a read that waits for it, before the response ends", async () => {
    let finish: () => void = () => {};
    routes.set("/drip", (_req, res) => {
      res.writeHead(200);
      res.write("first");
      finish = () => res.end("last");
    });
    const res = await createNodeFetch()(`${base}/drip`);
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("first");
    finish();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("last");
    expect((await reader.read()).done).toBe(true);
  });

  it("cancelling the body closes the upstream request", async () => {
    let closed!: Promise<{ finished: boolean }>;
    routes.set("/slow-cancel", (_req, res) => {
      closed = closedOnServer(res);
      res.writeHead(200);
      res.write("frame");
      const t = setInterval(() => res.write("frame"), 50);
      res.once("close", () => clearInterval(t));
    });
    const res = await createNodeFetch()(`${base}/slow-cancel`);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel(new Error("client gone"));
    expect(await closed).toEqual({ finished: false });
  });

  it("aborting the signal mid-body rejects the pending read with the reason and closes the upstream request", async () => {
    let closed!: Promise<{ finished: boolean }>;
    routes.set("/slow-abort", (_req, res) => {
      closed = closedOnServer(res);
      res.writeHead(200);
      res.write("frame");
    });
    const ac = new AbortController();
    const res = await createNodeFetch()(`${base}/slow-abort`, { method: "POST", body: "{}", signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const pending = reader.read();
    ac.abort(new Error("stop now"));
    await expect(pending).rejects.toThrow("stop now");
    expect(await closed).toEqual({ finished: false });
  });

  it("aborting before the answer rejects the fetch with the reason", async () => {
    let closed!: Promise<{ finished: boolean }>;
    routes.set("/no-answer", (_req, res) => {
      closed = closedOnServer(res);
    });
    const ac = new AbortController();
    const answer = createNodeFetch()(`${base}/no-answer`, { method: "POST", body: "{}", signal: ac.signal });
    while (!closed) await new Promise((r) => setTimeout(r, 5));
    ac.abort(new Error("gave up"));
    await expect(answer).rejects.toThrow("gave up");
    expect(await closed).toEqual({ finished: false });
  });

  it.each([
    ["a reset mid-body, chunked", "chunked"],
    ["a reset before the content-length is reached", "length"],
  ])("%s rejects the read", async (_name, framing) => {
    routes.set("/reset", (_req, res) => {
      res.writeHead(200, framing === "length" ? { "content-length": "1000" } : {});
      res.write("part of it", () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const res = await createNodeFetch()(`${base}/reset`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe("part of it");
    await expect(reader.read()).rejects.toThrow(TypeError);
  });

  it("a body cut off before anything reads it rejects the read too", async () => {
    let cut: () => void = () => {};
    const gone = new Promise<void>((r) => (cut = r));
    routes.set("/cut-unread", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("part", () =>
        setTimeout(() => {
          res.socket?.destroy();
          cut();
        }, 20),
      );
    });
    const res = await createNodeFetch()(`${base}/cut-unread`);
    await gone;
    await new Promise((r) => setTimeout(r, 50));
    await expect(readAll(res.body!)).rejects.toThrow(TypeError);
  });

  it.each([
    [204, "GET"],
    [304, "GET"],
    [200, "HEAD"],
  ])("a %i answer to %s has a null body and frees its socket for the next request", async (status, method) => {
    routes.set("/empty", (_req, res) => {
      res.writeHead(status, method === "HEAD" ? { etag: '"x"', "content-length": "5" } : { etag: '"x"' }).end();
    });
    routes.set("/after", (_req, res) => res.end("next"));
    // One socket: the next request can only go once the first has given it back.
    const fetchOne = createNodeFetch({ maxSockets: 1 });
    const res = await fetchOne(`${base}/empty`, { method });
    expect(res.status).toBe(status);
    expect(res.body).toBeNull();
    expect(res.headers.get("etag")).toBe('"x"');
    expect(await (await fetchOne(`${base}/after`)).text()).toBe("next");
  });

  it("reads repeated headers as fetch does: joined with a comma, set-cookie kept apart", async () => {
    routes.set("/multi", (_req, res) => {
      res.setHeader("x-multi", ["a", "b"]);
      res.setHeader("set-cookie", ["one=1; Path=/", "two=2; Path=/"]);
      res.setHeader("X-Amzn-RequestId", "req-1");
      res.end("{}");
    });
    const res = await createNodeFetch()(`${base}/multi`);
    expect(res.headers.get("x-multi")).toBe("a, b");
    expect(res.headers.getSetCookie()).toEqual(["one=1; Path=/", "two=2; Path=/"]);
    expect(res.headers.get("x-amzn-requestid")).toBe("req-1");
    expect(await res.json()).toEqual({});
  });

  it("reads whole bodies through text(), json() and arrayBuffer()", async () => {
    const big = "x".repeat(200_000);
    routes.set("/whole", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`{"big":"`);
      setTimeout(() => res.end(`${big}"}`), 10);
    });
    const fetchNode = createNodeFetch();
    expect(await (await fetchNode(`${base}/whole`)).json()).toEqual({ big });
    expect((await (await fetchNode(`${base}/whole`)).text()).length).toBe(big.length + 10);
    expect((await (await fetchNode(`${base}/whole`)).arrayBuffer()).byteLength).toBe(big.length + 10);
  });

  it("refuses a status a Response cannot carry as a failed fetch, without leaving the request open", async () => {
    let closed!: Promise<{ finished: boolean }>;
    routes.set("/odd-status", (_req, res) => {
      closed = closedOnServer(res);
      res.writeHead(600);
      res.write("?");
    });
    await expect(createNodeFetch()(`${base}/odd-status`)).rejects.toThrow("fetch failed");
    expect((await closed).finished).toBe(false);
  });
});
