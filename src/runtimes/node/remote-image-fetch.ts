/**
 * Fetches a client's `https://` image for ALLOW_REMOTE_IMAGES (Node and Bun), without becoming a way into the
 * gateway's network: the host is resolved once, every address it resolves to must be public
 * (translate/remote-images.ts), and the socket is opened to that very address — the TLS name (SNI and certificate
 * check) and the Host header stay the URL's host — so a second DNS answer (rebinding) is never consulted.
 * Redirects are refused, not followed; the body is capped while it streams and the whole fetch is bounded in time.
 */
import { lookup } from "node:dns/promises";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { linkedSignal } from "../../http/linked-signal";
import {
  assertPublicAddresses,
  checkImageBytes,
  imageMediaType,
  parseRemoteImageUrl,
  RemoteImageRefusal,
  type ResolveRemoteImage,
} from "../../translate/remote-images";

export type ResolvedAddress = { address: string; family: 4 | 6 };

export type RemoteImageFetchOptions = {
  maxBytes: number;
  timeoutMs: number;
  /** Every address of a host name; defaults to the system resolver (getaddrinfo, as the rest of the process sees names). */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
  /** Extra trusted certificates (PEM), for servers signed by a private CA. */
  ca?: string | string[];
  /**
   * Where the socket for a vetted address really goes. Identity in production; tests map a public-looking address
   * to their local server here, after the checks, so they exercise exactly the path production takes.
   */
  dial?: (vetted: ResolvedAddress, port: number) => { host: string; port: number };
};

const systemResolve = async (host: string): Promise<ResolvedAddress[]> =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

const ACCEPT = "image/png,image/jpeg,image/gif,image/webp";

export function createRemoteImageFetcher(opts: RemoteImageFetchOptions): ResolveRemoteImage {
  const resolve = opts.resolve ?? systemResolve;
  const dial = opts.dial ?? ((v: ResolvedAddress, port: number) => ({ host: v.address, port }));

  return async function fetchRemoteImage(text, signal) {
    const linked = linkedSignal(signal, AbortSignal.timeout(opts.timeoutMs));
    try {
      return await fetchOnce(text, signal, linked.signal);
    } finally {
      linked.dispose();
    }
  };

  /** One fetch: `combined` aborts on the client's `signal` or at the deadline. */
  async function fetchOnce(text: string, signal: AbortSignal | undefined, combined: AbortSignal) {
    const target = parseRemoteImageUrl(text);
    const timedOut = () => new RemoteImageRefusal(`it did not arrive within ${opts.timeoutMs} ms`);
    const abortable = <T>(p: Promise<T>): Promise<T> =>
      new Promise<T>((res, rej) => {
        const onAbort = () => rej(signal?.aborted ? signal.reason : timedOut());
        if (combined.aborted) return onAbort();
        combined.addEventListener("abort", onAbort, { once: true });
        p.then(res, rej).finally(() => combined.removeEventListener("abort", onAbort));
      });

    let vetted: ResolvedAddress;
    if (target.literal) vetted = { address: target.host, family: target.host.includes(":") ? 6 : 4 };
    else {
      let addresses: ResolvedAddress[];
      try {
        addresses = await abortable(resolve(target.host));
      } catch (err) {
        if (err instanceof RemoteImageRefusal || combined.aborted) throw err;
        throw new RemoteImageRefusal("its host name could not be resolved");
      }
      // Every answer must be public, not just the first: a name that mixes in a private address is not trusted.
      assertPublicAddresses(
        addresses.map((a) => a.address),
        "its host name",
      );
      vetted = addresses[0]!;
    }

    const socket = dial(vetted, target.port);
    const res = await abortable(
      new Promise<IncomingMessage>((res, rej) => {
        const req = https.request({
          host: socket.host,
          port: socket.port,
          family: vetted.family,
          method: "GET",
          path: `${target.url.pathname}${target.url.search}`,
          // SNI and the certificate check use the URL's name, not the address connected to (no SNI for IP literals, RFC 6066 §3).
          servername: target.literal ? undefined : target.host,
          headers: { host: target.url.host, accept: ACCEPT, "accept-encoding": "identity", "user-agent": "bedrock-gateway" },
          ca: opts.ca,
          agent: false,
          signal: combined,
        });
        req.once("response", res);
        req.once("error", (err) => rej(combined.aborted ? (signal?.aborted ? signal.reason : timedOut()) : fetchFailure(err)));
        req.end();
      }),
    );
    try {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) throw new RemoteImageRefusal(`the server answered with a redirect (HTTP ${status}), which is not followed`);
      if (status !== 200) throw new RemoteImageRefusal(`the server answered HTTP ${status}`);
      const encoding = res.headers["content-encoding"];
      if (encoding && encoding.toLowerCase() !== "identity") throw new RemoteImageRefusal(`the answer is compressed (${encoding.slice(0, 40)})`);
      const mediaType = imageMediaType(res.headers["content-type"]);
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > opts.maxBytes) throw tooLarge(opts.maxBytes);
      const bytes = await abortable(readCapped(res, opts.maxBytes));
      checkImageBytes(mediaType, bytes);
      return { mediaType, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
    } finally {
      res.destroy();
    }
  }
}

const tooLarge = (max: number) => new RemoteImageRefusal(`it is larger than ${max} bytes`);

/** Reads the body, giving up (and closing the socket) as soon as it passes `max` bytes, whatever content-length said. */
function readCapped(res: IncomingMessage, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        res.destroy();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    });
    res.once("end", () => resolve(new Uint8Array(Buffer.concat(chunks, size))));
    const cut = (err?: unknown) => reject(new RemoteImageRefusal(`the connection closed before the image was complete${codeOf(err)}`));
    res.once("error", cut);
    res.once("close", () => {
      if (!res.complete) cut();
    });
  });
}

/** A socket or TLS failure, by its code only: the error text may carry internal detail. */
function fetchFailure(err: unknown): RemoteImageRefusal {
  return new RemoteImageRefusal(`it could not be fetched${codeOf(err)}`);
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,60}$/.test(code) ? ` (${code})` : "";
}
