/**
 * A minimal `fetch` over node:http(s) with a keep-alive agent, for the Bedrock client on Node. Node's global
 * fetch (undici) costs several times more CPU per call to a nearby upstream; this keeps the hot path lean.
 * It handles what the client sends: a signed Request with a string body, an AbortSignal, a streamed response.
 *
 * Over HTTP/1.1 every open Bedrock stream holds a socket of its own, so the pool has no per-host cap by default: a
 * cap would make the request past it wait, without a word, for an earlier stream to end. How many requests run at
 * once is bounded where the client can be told, by the gateway's concurrency limit (MAX_CONCURRENT_REQUESTS).
 *
 * An open stream keeps what it holds here for as long as it lasts, so that is kept small: the request headers go to
 * node:http as one flat list (no header map left on the request or in the agent's copy of the options), the body
 * is a stream straight over the IncomingMessage (not Readable.toWeb, with its finished() watchers and a copy of each
 * chunk), and the listeners are plain ones, not once-wrappers.
 */
import http from "node:http";
import https from "node:https";

// Taken when this module loads, before @hono/node-server puts its lightweight Response on the global (at serve()):
// every answer here is read through its status, headers and body, which would build the real one anyway.
const NativeResponse = globalThis.Response;

export function createNodeFetch(opts: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = {
    keepAlive: true,
    noDelay: true,
    maxSockets: opts.maxSockets ?? Number.POSITIVE_INFINITY,
    maxFreeSockets: 256,
    scheduling: "lifo" as const,
  };
  const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };

  return async function nodeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const { url, method, headers, body, signal } = await plainRequest(input, init);
    const lib = url.protocol === "https:" ? https : http;
    const agent = agents[url.protocol as "http:" | "https:"];
    if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);
    if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
    return new Promise<Response>((resolve, reject) => send(lib, url, method, headersList(url, headers, body), body, agent, signal, resolve, reject));
  };
}

/** One request: resolves with the response once its headers are in; its body then streams (BodyStream). */
function send(
  lib: typeof http | typeof https,
  url: URL,
  method: string,
  headers: string[],
  body: Buffer | undefined,
  agent: http.Agent,
  signal: AbortSignal | null | undefined,
  resolve: (res: Response) => void,
  reject: (err: unknown) => void,
): void {
  let stream: BodyStream | undefined;
  // Let go of once settled: the listeners of a stream outlive its answer and need not keep the promise, nor through
  // it the Response.
  let answer: { resolve: (res: Response) => void; reject: (err: unknown) => void } | undefined = { resolve, reject };
  const settle = (res: Response | null, err?: unknown) => {
    const a = answer;
    answer = undefined;
    if (res) a?.resolve(res);
    else a?.reject(err);
  };
  const onAbort = () => {
    const reason = signal?.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError");
    stream?.fail(reason);
    req.destroy(reason);
  };
  const release = () => signal?.removeEventListener("abort", onAbort);
  const req = lib.request(url, { method, headers, agent });
  // node:http has written the headers into the request head already; the agent's copy of the options (kept for
  // the socket's life) need not keep them.
  headers.length = 0;
  req.on("response", (res: http.IncomingMessage) => {
    const status = res.statusCode ?? 502;
    let response: Response;
    try {
      if (status === 204 || status === 304 || method === "HEAD") {
        response = new NativeResponse(null, { status, headers: headersOf(res.rawHeaders) });
        release();
        res.resume();
      } else {
        stream = new BodyStream(req, res, release);
        response = new NativeResponse(stream.body, { status, headers: headersOf(res.rawHeaders) });
      }
    } catch (err) {
      // A status or header that a Response cannot carry: the request fails as a network error would.
      release();
      req.destroy();
      return settle(null, new TypeError("fetch failed", { cause: err }));
    }
    settle(response);
  });
  req.on("error", (err) => {
    release();
    settle(null, err);
  });
  signal?.addEventListener("abort", onAbort, { once: true });
  req.end(body);
}

/** The request headers as node:http takes them in one flat list: lower-case names, plus host and content-length. */
function headersList(url: URL, headers: Record<string, string>, body: Buffer | undefined): string[] {
  const list: string[] = [];
  if (headers.host === undefined) list.push("host", url.host);
  for (const k in headers) if (!(body && k === "content-length")) list.push(k, headers[k]!);
  if (body) list.push("content-length", String(body.length));
  return list;
}

function headersOf(raw: string[]): Headers {
  const h = new Headers();
  for (let i = 0; i < raw.length; i += 2) h.append(raw[i]!, raw[i + 1]!);
  return h;
}

const byteLength = (chunk: Uint8Array) => chunk.byteLength;

/**
 * A response body as a WHATWG stream over the IncomingMessage. Chunks are queued up to the message's own high-water
 * mark in bytes, then the message is paused until a read makes room: a slow reader leaves the rest in node:http's
 * buffer and then in the socket, so backpressure reaches the upstream. (With no queue at all, each chunk would pause
 * and resume the message: about 30% more CPU per streamed event.) Cancelling destroys the request and so its
 * socket: the upstream sees the connection close. An abort of the request's signal errors the body with its reason.
 */
class BodyStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #settled = false;

  constructor(
    readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
    readonly release: () => void,
  ) {
    this.body = new ReadableStream<Uint8Array>(this, { highWaterMark: res.readableHighWaterMark, size: byteLength });
    res.on("data", (chunk: Buffer) => {
      if (this.#settled) return;
      this.#controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (this.#controller.desiredSize! <= 0) res.pause();
    });
    // 'close' comes after 'end' or once the message is destroyed (a reset, a cut); node:http sets `complete` only
    // when the whole body arrived.
    res.on("close", () => {
      if (res.complete) this.#end();
      else this.fail(new TypeError("terminated", { cause: res.errored ?? undefined }));
    });
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  pull(): void {
    this.res.resume();
  }

  cancel(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.release();
    this.req.destroy();
  }

  fail(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.release();
    this.#controller.error(err);
  }

  #end(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.release();
    this.#controller.close();
  }
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
