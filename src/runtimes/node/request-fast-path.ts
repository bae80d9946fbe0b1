/**
 * The client's request on Node, read straight from node:http. @hono/node-server hands the app a lightweight
 * Request that builds a real WHATWG Request (undici's, with a web ReadableStream over the IncomingMessage and an
 * AbortController) the first time its body or its signal is touched, and every door request touches both: at one
 * request at a time that was about 8% of the gateway's CPU. Here, on each request object:
 * - `text()`, `json()` and `arrayBuffer()` read the IncomingMessage into one buffer (once; later calls share it),
 *   decoded as the Fetch standard decodes (UTF-8, a leading BOM dropped, bad bytes replaced);
 * - `signal` is an AbortSignal aborted when the response closes before it has finished (the client went away), as
 *   the adapter's own is.
 * Anything else (`formData()`, `clone()`, `new Request(req)`) builds the adapter's Request, which reads the
 * IncomingMessage as before. One of the two reads it: once something has asked for `body` (hono/body-limit does),
 * the body methods are the adapter's; once they have read it here, `body` is a stream of what they read.
 *
 * A stream's request object lives as long as the stream, so what it holds is kept small: the members above sit on
 * one prototype shared by the adapter's requests (over the adapter's own), and each request carries only its state.
 * Getters and methods defined on each request gave every one its own closures and its own hidden class: about
 * 1 KiB per open stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

type NodeEnv = { incoming: IncomingMessage | Http2ServerRequest; outgoing: ServerResponse | Http2ServerResponse };

const decoder = new TextDecoder("utf-8", { ignoreBOM: false });
const kState = Symbol("nodeRequest");

/** What a request on the fast path keeps: its node:http pair, its signal once asked for, its body once read. */
class NodeRequestState {
  controller: AbortController | undefined = undefined;
  body: Promise<Buffer> | undefined = undefined;
  constructor(
    readonly incoming: NodeEnv["incoming"],
    readonly outgoing: NodeEnv["outgoing"],
    // GET and HEAD have no body to read here; once something asks for `body`, the adapter reads it.
    public adapterOwnsBody: boolean,
  ) {}

  read(): Promise<Buffer> {
    this.body ??= readAll(this.incoming);
    return this.body;
  }

  signal(): AbortSignal {
    if (!this.controller) {
      const c = new AbortController();
      const { incoming, outgoing } = this;
      const onClose = () => {
        if (incoming.errored) c.abort(incoming.errored.toString());
        else if (!outgoing.writableFinished) c.abort("Client connection prematurely closed.");
      };
      if (outgoing.closed) onClose();
      else outgoing.on("close", onClose);
      this.controller = c;
    }
    return this.controller.signal;
  }
}

type FastRequest = Request & { [kState]: NodeRequestState };

/** Wraps the app's fetch so the requests node:http delivers take the fast path; others pass unchanged. */
export function withNodeRequestFastPath<E>(fetch: (request: Request, env: E) => Response | Promise<Response>) {
  return (request: Request, env: E): Response | Promise<Response> => {
    const io = env as unknown as Partial<NodeEnv> | undefined;
    if (io?.incoming && io.outgoing && !(kState in request)) fastPath(request, io as NodeEnv);
    return fetch(request, env);
  };
}

// The requests of one adapter share one prototype over the adapter's (its getters and methods read the request's
// state), so a request costs a state object, not a getter, a method and a hidden class of its own for each member.
let lastAdapter: object | undefined;
let lastPrototype: object | undefined;

function fastPath(request: Request, { incoming, outgoing }: NodeEnv): void {
  const adapter = Object.getPrototypeOf(request) as object;
  if (adapter !== lastAdapter) {
    lastPrototype = fastPrototype(adapter as Request);
    lastAdapter = adapter;
  }
  Object.setPrototypeOf(request, lastPrototype!);
  (request as FastRequest)[kState] = new NodeRequestState(incoming, outgoing, request.method === "GET" || request.method === "HEAD");
}

function fastPrototype(adapter: Request): object {
  const adapterBody = getterOf(adapter, "body");
  const method = (name: "text" | "json" | "arrayBuffer", value: (s: NodeRequestState) => Promise<unknown>): PropertyDescriptor => ({
    configurable: true,
    writable: true,
    value(this: FastRequest) {
      const s = this[kState];
      return s.adapterOwnsBody ? (adapter[name] as () => Promise<unknown>).call(this) : value(s);
    },
  });
  return Object.create(adapter, {
    signal: {
      configurable: true,
      get(this: FastRequest): AbortSignal {
        return this[kState].signal();
      },
    },
    // One reader of the IncomingMessage per request: once the adapter's Request has its body (something read
    // `body`), the body methods are the adapter's too; once they have read it here, `body` streams what was read.
    body: {
      configurable: true,
      get(this: FastRequest): ReadableStream<Uint8Array> | null {
        const s = this[kState];
        if (s.body) return streamOf(s.body);
        s.adapterOwnsBody = true;
        return adapterBody ? (adapterBody.call(this) as ReadableStream<Uint8Array> | null) : null;
      },
    },
    text: method("text", async (s) => decoder.decode(await s.read())),
    json: method("json", async (s) => JSON.parse(decoder.decode(await s.read()))),
    arrayBuffer: method("arrayBuffer", async (s) => {
      const b = await s.read();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }),
  });
}

function getterOf(o: object, name: string): (() => unknown) | undefined {
  for (let p: object | null = o; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return d.get;
  }
  return undefined;
}

/** A stream of the bytes read here (for a `body` asked for after the body methods read it). */
function streamOf(bytes: Promise<Buffer>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        const b = await bytes;
        if (b.length > 0) controller.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
  });
}

/** The whole body of an IncomingMessage (or HTTP/2 request), in one buffer; rejects when it is cut off. */
export function readAll(incoming: IncomingMessage | Http2ServerRequest): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (incoming.readableEnded) return resolve(Buffer.alloc(0));
    // Gone before anything read it (the client left while the request waited): no event would come.
    if (incoming.destroyed) return reject(cutOff());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const done = (err?: unknown) => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", done);
      incoming.off("aborted", onCut);
      incoming.off("close", onCut);
      if (err) reject(err instanceof Error ? err : new TypeError(String(err)));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onEnd = () => done();
    const onCut = () => done(cutOff());
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", done);
    incoming.once("aborted", onCut);
    // A stream closed without 'end' (destroyed) was cut off; after 'end', done has already run.
    incoming.once("close", onCut);
  });
}

const cutOff = () => new TypeError("terminated: the client closed the connection before its body was read");
