import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeFetch } from "../../../../src/runtimes/node/http-fetch";

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

let server: http.Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json", "x-multi": ["a", "b"] });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const fetchNode = createNodeFetch();
const body = JSON.stringify({ text: "héllo ✓" });

// The same request spelt the ways a caller can spell it reaches the server identically: the plain form the Bedrock
// client uses is read directly, the others through a WHATWG Request.
const spellings: [string, () => Promise<Response>][] = [
  [
    "a URL string, plain headers, a string body",
    () =>
      fetchNode(`${base}/model/x/converse?a=1`, { method: "post", headers: { "Content-Type": "application/json", "X-Amz-Date": "20261202T000000Z" }, body }),
  ],
  [
    "a URL object and Headers",
    () =>
      fetchNode(new URL(`${base}/model/x/converse?a=1`), {
        method: "POST",
        headers: new Headers({ "content-type": "application/json", "x-amz-date": "20261202T000000Z" }),
        body,
      }),
  ],
  [
    "a Request",
    () =>
      fetchNode(
        new Request(`${base}/model/x/converse?a=1`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-amz-date": "20261202T000000Z" },
          body,
        }),
      ),
  ],
  [
    "a binary body",
    () =>
      fetchNode(`${base}/model/x/converse?a=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-amz-date": "20261202T000000Z" },
        body: new TextEncoder().encode(body),
      }),
  ],
];

describe("createNodeFetch", () => {
  it.each(spellings)("sends %s with its method, path, headers and exact body length", async (_name, send) => {
    seen.length = 0;
    const res = await send();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get("x-multi")).toBe("a, b");
    const [got] = seen;
    expect(got).toMatchObject({ method: "POST", url: "/model/x/converse?a=1", body });
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["x-amz-date"]).toBe("20261202T000000Z");
    expect(got!.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("sends a GET without a body or content-length", async () => {
    seen.length = 0;
    await fetchNode(`${base}/foundation-models`, { headers: { accept: "application/json" } });
    expect(seen[0]).toMatchObject({ method: "GET", body: "" });
    expect(seen[0]!.headers["content-length"]).toBeUndefined();
  });

  it("refuses at once when the signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort(new Error("client gone"));
    await expect(fetchNode(`${base}/x`, { method: "POST", body: "{}", signal: ac.signal })).rejects.toThrow("client gone");
  });
});
