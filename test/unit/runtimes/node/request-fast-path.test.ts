/**
 * The Node request fast path (src/runtimes/node/request-fast-path.ts) under @hono/node-server's listener: the body
 * methods and `body` read the IncomingMessage once, whichever asks first; `signal` aborts when the client leaves
 * before the answer; and the requests share one prototype instead of carrying members of their own.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withNodeRequestFastPath } from "../../../../src/runtimes/node/request-fast-path";

type Handler = (req: Request) => Promise<Response>;
let handler: Handler = async () => new Response("unset");
const seen: Request[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  const fetch = withNodeRequestFastPath((req: Request) => {
    seen.push(req);
    return handler(req);
  });
  server = http.createServer(getRequestListener(fetch));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function send(method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/x`, { method, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function streamText(body: ReadableStream<Uint8Array> | null): Promise<string | null> {
  return body === null ? null : new Response(body).text();
}

const payload = JSON.stringify({ text: "héllo ✓" });

describe("withNodeRequestFastPath", () => {
  it.each([
    ["text()", async (r: Request) => r.text()],
    ["json()", async (r: Request) => JSON.stringify(await r.json())],
    ["arrayBuffer()", async (r: Request) => Buffer.from(await r.arrayBuffer()).toString("utf8")],
  ])("reads the body through %s, then `body` streams the same bytes", async (_name, read) => {
    handler = async (req) => {
      const first = await read(req);
      const again = await req.text();
      return Response.json({ first, again, body: await streamText(req.body) });
    };
    const res = await send("POST", payload);
    expect(JSON.parse(res.text)).toEqual({ first: payload, again: payload, body: payload });
  });

  it("leaves the body to the adapter once `body` is asked for first", async () => {
    handler = async (req) => {
      const body = await streamText(req.body);
      return Response.json({ body });
    };
    expect(JSON.parse((await send("POST", payload)).text)).toEqual({ body: payload });
  });

  it("gives a GET the adapter's (empty) body", async () => {
    handler = async (req) => Response.json({ body: req.body, text: await req.text() });
    expect(JSON.parse((await send("GET")).text)).toEqual({ body: null, text: "" });
  });

  it("puts the members on one shared prototype, not on each request", async () => {
    handler = async (req) => new Response(await req.text());
    seen.length = 0;
    await send("POST", "a");
    await send("POST", "b");
    const [a, b] = seen;
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    for (const r of [a!, b!]) {
      for (const name of ["signal", "body", "text", "json", "arrayBuffer"]) expect(Object.hasOwn(r, name)).toBe(false);
      expect(r).toBeInstanceOf(Request);
    }
  });

  it("aborts the signal when the client leaves before the answer, not after an answer", async () => {
    let aborted!: Promise<unknown>;
    handler = async (req) => {
      await req.text();
      aborted = new Promise((resolve) => req.signal.addEventListener("abort", () => resolve(req.signal.reason), { once: true }));
      await aborted;
      return new Response("too late");
    };
    await new Promise<void>((resolve) => {
      const req = http.request(`${base}/x`, { method: "POST", agent: false });
      req.on("error", () => resolve());
      req.end(payload, () => setTimeout(() => req.destroy(), 50));
    });
    while (!aborted) await new Promise((r) => setTimeout(r, 5));
    expect(await aborted).toBe("Client connection prematurely closed.");

    let signal!: AbortSignal;
    handler = async (req) => {
      signal = req.signal;
      return new Response("done");
    };
    expect((await send("POST", payload)).text).toBe("done");
    await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).toBe(false);
  });
});
