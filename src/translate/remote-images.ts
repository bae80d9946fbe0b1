/**
 * Server-side fetching of `https://` images (ALLOW_REMOTE_IMAGES), the pure half: which URLs and addresses may be
 * fetched, which answers are images Bedrock takes, and turning each refusal into a 400 naming the message part.
 * Translation itself stays synchronous and never fetches: the route runs `resolveRemoteImages` first with a
 * runtime's fetcher (src/runtimes/node/remote-image-fetch.ts), which resolves the host once, refuses any address
 * that is not public, connects to exactly the address it checked and enforces the size and time caps.
 */
import { GatewayError } from "../errors";
import { linkedSignal } from "../http/linked-signal";
import { MAX_IMAGES, type ResolveRemoteImage } from "./content-parts";
import type { ChatCompletionRequest, ContentPart } from "./openai-types";

export type { ResolveRemoteImage } from "./content-parts";

/** A remote image the gateway will not use; `reason` completes "The image … was not fetched: …". */
export class RemoteImageRefusal extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = "RemoteImageRefusal";
    this.reason = reason;
  }
}

// ---- Addresses ----

export type AddressKind =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "cgnat"
  | "link-local"
  | "metadata"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved";

/**
 * IPv4 text → 32-bit number, read the way inet_aton(3) and the WHATWG URL host parser read it: one to four parts,
 * each decimal, `0x` hex or `0` octal, the last filling the remaining bytes. So `2130706433`, `0x7f000001`,
 * `0177.0.0.1` and `127.1` are all 127.0.0.1; refusing only dotted-quad spellings would let the others through.
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = Number.parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = Number(p);
    else return null;
    if (!Number.isSafeInteger(v)) return null;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return null;
  return values.reduce((acc, v, i) => acc + v * 256 ** (3 - i), 0) + last;
}

/** IPv6 text (RFC 4291 §2.2: `::` compression, a trailing dotted IPv4, an optional `%zone`) → eight 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k]!;
      if (k === pieces.length - 1 && piece.includes(".")) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return null;
        const octets = piece.split(".").map(Number);
        if (octets.some((o) => o > 255)) return null;
        out.push(octets[0]! * 256 + octets[1]!, octets[2]! * 256 + octets[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  if (head.length + tail.length > 7) return null;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}

const v4 = (a: number, b: number, c: number, d: number) => ((a * 256 + b) * 256 + c) * 256 + d;
const inV4 = (ip: number, base: number, bits: number) => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits));

/**
 * IPv4 ranges that are not the public internet: IANA's IPv4 Special-Purpose Address Registry (RFC 6890) plus the
 * addresses clouds serve credentials on. Order matters: the first match names the range.
 */
const V4_RANGES: [number, number, AddressKind][] = [
  // EC2 instance metadata (and Azure's and Google Cloud's, at the same address), ECS task credentials, EKS Pod Identity.
  [v4(169, 254, 169, 254), 32, "metadata"],
  [v4(169, 254, 170, 2), 32, "metadata"],
  [v4(169, 254, 170, 23), 32, "metadata"],
  // Azure's WireServer, reachable from every Azure VM although it is not in a private range (learn.microsoft.com, "What is IP address 168.63.129.16?").
  [v4(168, 63, 129, 16), 32, "metadata"],
  [v4(0, 0, 0, 0), 8, "unspecified"],
  [v4(10, 0, 0, 0), 8, "private"],
  [v4(100, 64, 0, 0), 10, "cgnat"],
  [v4(127, 0, 0, 0), 8, "loopback"],
  [v4(169, 254, 0, 0), 16, "link-local"],
  [v4(172, 16, 0, 0), 12, "private"],
  [v4(192, 0, 0, 0), 24, "reserved"],
  [v4(192, 0, 2, 0), 24, "documentation"],
  [v4(192, 88, 99, 0), 24, "reserved"],
  [v4(192, 168, 0, 0), 16, "private"],
  [v4(198, 18, 0, 0), 15, "reserved"],
  [v4(198, 51, 100, 0), 24, "documentation"],
  [v4(203, 0, 113, 0), 24, "documentation"],
  [v4(224, 0, 0, 0), 4, "multicast"],
  [v4(255, 255, 255, 255), 32, "broadcast"],
  [v4(240, 0, 0, 0), 4, "reserved"],
];

function classifyV4(ip: number): AddressKind {
  for (const [base, bits, kind] of V4_RANGES) if (inV4(ip, base, bits)) return kind;
  return "public";
}

const v4Of = (g: number[], at: number) => g[at]! * 65536 + g[at + 1]!;
const zero = (g: number[], from: number, to: number) => g.slice(from, to).every((x) => x === 0);

/** IPv6 per IANA's IPv6 Special-Purpose Address Registry (RFC 6890); addresses that embed an IPv4 one are judged by it. */
function classifyV6(g: number[]): AddressKind {
  if (zero(g, 0, 8)) return "unspecified";
  if (zero(g, 0, 7) && g[7] === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d (RFC 4291 §2.5.5, RFC 2765): the socket reaches the IPv4 address.
  if (zero(g, 0, 5) && g[5] === 0xffff) return classifyV4(v4Of(g, 6));
  if (zero(g, 0, 4) && g[4] === 0xffff && g[5] === 0) return classifyV4(v4Of(g, 6));
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1).
  if (zero(g, 0, 6)) return classifyV4(v4Of(g, 6));
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): a translator forwards to the embedded IPv4 address.
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(g, 2, 6)) return classifyV4(v4Of(g, 6));
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return "private"; // local-use NAT64, RFC 8215
  if (g[0] === 0x100 && zero(g, 1, 4)) return "reserved"; // discard-only, RFC 6666
  if (g[0] === 0x2001 && g[1] === 0xdb8) return "documentation";
  if (g[0] === 0x3fff && g[1]! < 0x1000) return "documentation"; // 3fff::/20, RFC 9637
  if (g[0] === 0x2001 && g[1]! < 0x200) return "reserved"; // IETF protocol assignments incl. Teredo, 2001::/23
  // 6to4 (RFC 3056): 2002:aabb:ccdd::/48 routes to the IPv4 address aa.bb.cc.dd.
  if (g[0] === 0x2002) return classifyV4(v4Of(g, 1)) === "public" ? "public" : "reserved";
  // EC2's IPv6 instance metadata and EKS Pod Identity endpoints, inside the unique-local range.
  if (g[0] === 0xfd00 && g[1] === 0xec2 && zero(g, 2, 7) && (g[7] === 0x254 || g[7] === 0x23)) return "metadata";
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique-local";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0]! & 0xffc0) === 0xfec0) return "private"; // site-local, deprecated by RFC 3879
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  // Only 2000::/3 is allocated as global unicast (RFC 4291 §2.4); the rest is unassigned.
  if ((g[0]! & 0xe000) !== 0x2000) return "reserved";
  return "public";
}

/** What an IP address (v4 in any inet_aton spelling, or v6) reaches; null when `text` is not an address. */
export function classifyAddress(text: string): AddressKind | null {
  const four = parseIPv4(text);
  if (four !== null) return classifyV4(four);
  const six = parseIPv6(text);
  return six ? classifyV6(six) : null;
}

export const isIpAddress = (text: string): boolean => parseIPv4(text) !== null || parseIPv6(text) !== null;

const KIND_PHRASE: Record<Exclude<AddressKind, "public">, string> = {
  unspecified: "an unspecified (0.0.0.0 or ::) address",
  loopback: "a loopback address",
  private: "a private network address",
  cgnat: "a shared (carrier-grade NAT) address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata or credentials address",
  "unique-local": "a unique-local IPv6 address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  documentation: "a documentation-only address",
  reserved: "a reserved address",
};

/**
 * Throws a refusal unless every address is public. The addresses themselves are not repeated to the client: how
 * the gateway's resolver answers for internal names is not the caller's business.
 */
export function assertPublicAddresses(addresses: readonly string[], subject: string): void {
  if (addresses.length === 0) throw new RemoteImageRefusal(`${subject} has no address`);
  for (const a of addresses) {
    const kind = classifyAddress(a);
    if (kind === null) throw new RemoteImageRefusal(`${subject} resolves to something that is not an IP address`);
    if (kind !== "public") throw new RemoteImageRefusal(`${subject} resolves to ${KIND_PHRASE[kind]}, which this gateway does not fetch from`);
  }
}

// ---- URLs ----

export type RemoteImageTarget = {
  url: URL;
  /** The host name to resolve and to send as SNI, or the IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** The host is an IP literal: no DNS lookup, no SNI. */
  literal: boolean;
};

/**
 * Checks a client's image URL before anything is resolved: https only, no credentials, and an IP literal must be
 * public. The WHATWG parser has already rewritten numeric IPv4 spellings (`https://2130706433/`) to dotted form.
 */
export function parseRemoteImageUrl(text: string): RemoteImageTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RemoteImageRefusal("the URL is not valid");
  }
  if (url.protocol !== "https:") throw new RemoteImageRefusal("only https:// image URLs are fetched");
  if (url.username || url.password) throw new RemoteImageRefusal("image URLs may not carry credentials");
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) throw new RemoteImageRefusal("the URL has no host");
  const literal = isIpAddress(host);
  if (literal) assertPublicAddresses([host], "the host");
  return { url, host, port: url.port ? Number(url.port) : 443, literal };
}

// ---- Answers ----

/** The media types Bedrock's ImageBlock takes (ImageFormat: png, jpeg, gif, webp), with each format's magic bytes. */
const IMAGE_TYPES: Record<string, { name: string; magic(b: Uint8Array): boolean }> = {
  "image/png": { name: "PNG", magic: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  "image/jpeg": { name: "JPEG", magic: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  "image/gif": { name: "GIF", magic: (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61 },
  "image/webp": { name: "WebP", magic: (b) => startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b.subarray(8), [0x57, 0x45, 0x42, 0x50]) },
};

function startsWith(b: Uint8Array, prefix: number[]): boolean {
  return b.length >= prefix.length && prefix.every((x, i) => b[i] === x);
}

/** `content-type` header → a media type Bedrock takes, or a refusal. */
export function imageMediaType(contentType: string | null | undefined): string {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const media = type === "image/jpg" || type === "image/pjpeg" ? "image/jpeg" : type;
  if (!IMAGE_TYPES[media]) {
    throw new RemoteImageRefusal(
      `the content type ${type ? `'${type.slice(0, 100)}'` : "is missing and"} is not an image Bedrock takes (png, jpeg, gif, webp)`,
    );
  }
  return media;
}

/** Refuses bytes that are not what the server's content type said: Bedrock would reject them, or worse, read them as something else. */
export function checkImageBytes(mediaType: string, bytes: Uint8Array): void {
  const type = IMAGE_TYPES[mediaType];
  if (!type) throw new RemoteImageRefusal(`'${mediaType}' is not an image Bedrock takes`);
  if (!type.magic(bytes)) throw new RemoteImageRefusal(`the answer is labelled ${mediaType} but is not a ${type.name} image`);
}

// ---- Requests ----

const isRemote = (url: string) => /^https?:\/\//i.test(url);
/** Images fetched at once per request: enough to hide latency, few enough to keep a request's memory bounded. */
const FETCH_CONCURRENCY = 4;

/**
 * Returns a copy of `req` whose http(s) image URLs in user messages are replaced by data URLs from `fetchImage`.
 * A refusal becomes a 400 naming the part; more remote images than Bedrock takes are refused before any fetch.
 */
export async function resolveRemoteImages(req: ChatCompletionRequest, fetchImage: ResolveRemoteImage, signal?: AbortSignal): Promise<ChatCompletionRequest> {
  const jobs: { i: number; j: number; url: string }[] = [];
  let images = 0;
  req.messages.forEach((m, i) => {
    if (m.role !== "user" || typeof m.content === "string") return;
    m.content.forEach((p, j) => {
      if (p.type !== "image_url") return;
      if (++images > MAX_IMAGES) {
        throw GatewayError.invalidRequest(`messages[${i}].content[${j}]`, `Too many images: Bedrock accepts at most ${MAX_IMAGES} per request.`);
      }
      if (isRemote(p.image_url.url)) jobs.push({ i, j, url: p.image_url.url });
    });
  });
  if (jobs.length === 0) return req;

  const fetched = new Map<string, string>();
  // The first refusal answers the request, so the fetches still running are cancelled rather than left to finish.
  const stop = new AbortController();
  const linked = linkedSignal(signal, stop.signal);
  const jobSignal = linked.signal;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !jobSignal.aborted) {
      const job = jobs[next++]!;
      try {
        const { mediaType, base64 } = await fetchImage(job.url, jobSignal);
        fetched.set(`${job.i}.${job.j}`, `data:${mediaType};base64,${base64}`);
      } catch (err) {
        stop.abort();
        if (!(err instanceof RemoteImageRefusal)) throw err;
        const part = `messages[${job.i}].content[${job.j}]`;
        throw GatewayError.invalidRequest(`${part}.image_url.url`, `The image at ${part} was not fetched: ${err.reason}.`, "remote_image_refused");
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, jobs.length) }, worker));
  } finally {
    linked.dispose();
  }

  const messages = req.messages.map((m, i) => {
    if (m.role !== "user" || typeof m.content === "string") return m;
    const content = m.content.map((p, j): ContentPart => {
      const url = fetched.get(`${i}.${j}`);
      return url !== undefined && p.type === "image_url" ? { ...p, image_url: { ...p.image_url, url } } : p;
    });
    return { ...m, content };
  });
  return { ...req, messages };
}
