/**
 * A minimal `fetch` over node:http(s) with a keep-alive agent, for the Bedrock client on Node. Node's global
 * fetch (undici) costs several times more CPU per call to a nearby upstream; this keeps the hot path lean.
 * It handles what the client sends: a signed Request with a string body, an AbortSignal, a streamed response.
 *
 * Over HTTP/1.1 every open Bedrock stream holds a socket of its own, so the pool has no per-host cap by default: a
 * cap would make the request past it wait, without a word, for an earlier stream to end. How many requests run at
 * once is bounded where the client can be told, by the gateway's concurrency limit (MAX_CONCURRENT_REQUESTS).
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export function createNodeFetch(opts: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? Number.POSITIVE_INFINITY, maxFreeSockets: 256, scheduling: "lifo" as const };
  const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };

  return async function nodeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const { url, method, headers, body, signal } = await plainRequest(input, init);
    if (body) headers["content-length"] = String(body.length);
    const lib = url.protocol === "https:" ? https : http;
    const agent = agents[url.protocol as "http:" | "https:"];
    if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);

    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new DOMException("aborted", "AbortError"));
      const req = lib.request(url, { method, headers, agent }, (res) => {
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) v.forEach((x) => responseHeaders.append(k, x));
          else if (v !== undefined) responseHeaders.set(k, v);
        }
        const stream = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
        resolve(new Response(res.statusCode === 204 || res.statusCode === 304 ? null : stream, { status: res.statusCode ?? 502, headers: responseHeaders }));
      });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError"));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.once("close", () => signal?.removeEventListener("abort", onAbort));
      req.once("error", reject);
      req.setNoDelay(true);
      req.end(body);
    });
  };
}

type PlainRequest = { url: URL; method: string; headers: Record<string, string>; body: Buffer | undefined; signal: AbortSignal | null | undefined };

/**
 * The request as node:http wants it. The Bedrock client calls with a URL string, a plain header object and a string
 * body: that is read directly, without building a WHATWG Request (which costs more than the rest of the call).
 * Anything else (a Request, Headers, a stream or binary body) goes through Request for its general semantics.
 */
async function plainRequest(input: RequestInfo | URL, init: RequestInit | undefined): Promise<PlainRequest> {
  const h = init?.headers;
  const plainHeaders = h === undefined || (typeof h === "object" && !(h instanceof Headers) && !Array.isArray(h));
  if (!(input instanceof Request) && plainHeaders && (init?.body == null || typeof init.body === "string")) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((h ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = String(v);
    const body = typeof init?.body === "string" ? Buffer.from(init.body) : undefined;
    if (body && headers["content-type"] === undefined) headers["content-type"] = "text/plain;charset=UTF-8";
    return { url: new URL(input), method: (init?.method ?? "GET").toUpperCase(), headers, body, signal: init?.signal };
  }
  const request = input instanceof Request ? input : new Request(input, init);
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  return { url: new URL(request.url), method: request.method, headers, body, signal: init?.signal ?? request.signal };
}
