/**
 * HTTP/2 and HTTP/1.1 on the same plain-HTTP port: cleartext HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3),
 * the way the AWS SDK for JavaScript v3 speaks to Bedrock Runtime by default (its NodeHttp2Handler) when the
 * endpoint is `http://`. The listening node:http server keeps accepting every connection; the first bytes of each
 * decide: the HTTP/2 connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) hands the socket to a node:http2
 * server, anything else to node:http as before. Both serve the same fetch handler. The gateway does not terminate
 * TLS itself (a load balancer or proxy in front of it does), so h2 over TLS (ALPN) is the proxy's to offer.
 */
import { getRequestListener } from "@hono/node-server";
import type { Server } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import type { Socket } from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** How long a new connection may stay silent before its first bytes (node:http's own headersTimeout default). */
const FIRST_BYTES_MS = 60_000;

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); a response that carries one (a drain's `connection: close`) loses it. */
const CONNECTION_HEADERS = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

/** Whether `bytes` is, so far, the HTTP/2 preface: "yes" once all of it is there, "maybe" while a prefix is. */
export function matchPreface(bytes: Uint8Array): "yes" | "no" | "maybe" {
  const n = Math.min(bytes.length, PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== PREFACE[i]) return "no";
  return bytes.length >= PREFACE.length ? "yes" : "maybe";
}

function withoutConnectionHeaders(res: Response): Response {
  if (!CONNECTION_HEADERS.some((h) => res.headers.has(h))) return res;
  const headers = new Headers(res.headers);
  for (const h of CONNECTION_HEADERS) headers.delete(h);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

export type H2c = {
  /** Open HTTP/2 sessions. */
  readonly sessions: ReadonlySet<Http2Session>;
  /** Graceful: GOAWAY to every session; each closes once its open streams have finished. */
  close(): void;
  /** Ends every session at once (the drain's time is up). */
  destroy(): void;
};

/**
 * Makes `server` (a listening node:http server, or one about to listen) also accept h2c connections, served by
 * `fetch`. Call it before the server accepts its first connection.
 */
export function acceptH2c<E>(server: Server, fetch: (request: Request, env: E) => Response | Promise<Response>): H2c {
  const h2 = createHttp2Server(getRequestListener(async (req, env) => withoutConnectionHeaders(await fetch(req, env as E))));
  const sessions = new Set<Http2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const http1 = server.listeners("connection") as ((socket: Socket) => void)[];
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    let seen: Buffer = Buffer.alloc(0);
    const silent = setTimeout(() => socket.destroy(), FIRST_BYTES_MS);
    const onClose = () => clearTimeout(silent);
    const route = (to: "h1" | "h2") => {
      clearTimeout(silent);
      // Nothing of the sniffing stays on the socket for its life (its first bytes hold a request and its key).
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.pause();
      // The bytes read to decide go back in front of the stream, for whichever server takes the socket. node:http2
      // reads what is buffered on its next tick (nodejs/node#35475), so that socket stays paused until then;
      // node:http takes buffered bytes as 'data' events once the socket flows again.
      socket.unshift(seen);
      seen = Buffer.alloc(0);
      if (to === "h2") {
        h2.emit("connection", socket);
        return;
      }
      for (const l of http1) l.call(server, socket);
      socket.resume();
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const m = matchPreface(seen);
      if (m !== "maybe") route(m === "yes" ? "h2" : "h1");
    };
    const onError = () => {
      clearTimeout(silent);
      socket.destroy();
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.once("close", onClose);
  });

  return {
    sessions,
    close: () => {
      for (const s of sessions) s.close();
    },
    destroy: () => {
      for (const s of sessions) s.destroy();
    },
  };
}
