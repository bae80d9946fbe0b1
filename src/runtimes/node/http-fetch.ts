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
    const request = input instanceof Request ? input : new Request(input, init);
    const signal = init?.signal ?? request.signal;
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    if (body) headers["content-length"] = String(body.length);
    const lib = url.protocol === "https:" ? https : http;
    const agent = agents[url.protocol as "http:" | "https:"];
    if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);

    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new DOMException("aborted", "AbortError"));
      const req = lib.request(url, { method: request.method, headers, agent }, (res) => {
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
