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
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

type NodeEnv = { incoming: IncomingMessage | Http2ServerRequest; outgoing: ServerResponse | Http2ServerResponse };

const decoder = new TextDecoder("utf-8", { ignoreBOM: false });

/** Wraps the app's fetch so the requests node:http delivers take the fast path; others pass unchanged. */
export function withNodeRequestFastPath<E>(fetch: (request: Request, env: E) => Response | Promise<Response>) {
  return (request: Request, env: E): Response | Promise<Response> => {
    const io = env as unknown as Partial<NodeEnv> | undefined;
    if (io?.incoming && io.outgoing && !Object.hasOwn(request, "signal")) fastPath(request, io as NodeEnv);
    return fetch(request, env);
  };
}

function fastPath(request: Request, { incoming, outgoing }: NodeEnv): void {
  let controller: AbortController | undefined;
  Object.defineProperty(request, "signal", {
    configurable: true,
    get(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        const c = controller;
        const onClose = () => {
          if (incoming.errored) c.abort(incoming.errored.toString());
          else if (!outgoing.writableFinished) c.abort("Client connection prematurely closed.");
        };
        if (outgoing.closed) onClose();
        else outgoing.once("close", onClose);
      }
      return controller.signal;
    },
  });
  if (request.method === "GET" || request.method === "HEAD") return;
  // One reader of the IncomingMessage per request: once the adapter's Request has its body (something read
  // `body`), the body methods are the adapter's too; once they have read it here, `body` streams what was read.
  const adapter = Object.getPrototypeOf(request) as Request;
  const adapterBody = getterOf(adapter, "body");
  let body: Promise<Buffer> | undefined;
  let adapterOwnsBody = false;
  const read = () => (body ??= readAll(incoming));
  Object.defineProperty(request, "body", {
    configurable: true,
    get(this: Request): ReadableStream<Uint8Array> | null {
      if (body) return streamOf(body);
      adapterOwnsBody = true;
      return adapterBody ? (adapterBody.call(this) as ReadableStream<Uint8Array> | null) : null;
    },
  });
  const define = (name: "text" | "json" | "arrayBuffer", value: () => Promise<unknown>) =>
    Object.defineProperty(request, name, {
      configurable: true,
      writable: true,
      value(this: Request) {
        return adapterOwnsBody ? (adapter[name] as () => Promise<unknown>).call(this) : value();
      },
    });
  define("text", async () => decoder.decode(await read()));
  define("json", async () => JSON.parse(decoder.decode(await read())));
  define("arrayBuffer", async () => {
    const b = await read();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
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
