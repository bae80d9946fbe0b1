/**
 * SigV4 header signing (AWS4-HMAC-SHA256) over synchronous hash primitives a runtime injects, for the request
 * path where Web Crypto's per-call promise round trips cost more than the hashing itself. Produces exactly what
 * aws4fetch's `AwsV4Signer` does for a non-S3 service without query signing: every header but the unsignable
 * ones is signed, `host` included, and the path is URI-encoded twice.
 * Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import type { AwsCredentials } from "./client";
import { boundedMemo } from "./memo";

/** Synchronous SHA-256 and HMAC-SHA256 (node:crypto on Node and Bun). */
export type SyncCrypto = {
  sha256Hex(data: string): string;
  hmacSha256(key: string | Uint8Array, data: string): Uint8Array;
  hmacSha256Hex(key: Uint8Array, data: string): string;
};

export type SignInput = {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  credentials: AwsCredentials;
  region: string;
  service: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  datetime: string;
};

// The headers aws4fetch leaves out of the signature (proxies and clients may change them).
const UNSIGNABLE = new Set([
  "authorization",
  "content-type",
  "content-length",
  "user-agent",
  "presigned-expires",
  "expect",
  "x-amzn-trace-id",
  "range",
  "connection",
]);

const rfc3986 = (s: string) => s.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A signer that keeps the derived signing key per secret, day, region and service (it changes once a day). */
export function createSigV4Signer(crypto: SyncCrypto) {
  const keys = new Map<string, Uint8Array>();
  function signingKey(secret: string, date: string, region: string, service: string): Uint8Array {
    const id = `${secret}\0${date}\0${region}\0${service}`;
    let k = keys.get(id);
    if (!k) {
      if (keys.size > 16) keys.clear();
      k = crypto.hmacSha256(crypto.hmacSha256(crypto.hmacSha256(crypto.hmacSha256(`AWS4${secret}`, date), region), service), "aws4_request");
      keys.set(id, k);
    }
    return k;
  }

  // The host, canonical URI and canonical query of each URL signed: a gateway sends to a handful of URLs (one per
  // model, operation and region), so each is worked out once instead of once per request.
  const canonicalTarget = boundedMemo(
    256,
    (url: URL) => url.href,
    (url): CanonicalTarget => ({ host: url.host, path: canonicalPath(url), query: canonicalQuery(url) }),
  );

  /** The headers to send: the given ones (lower-cased) plus x-amz-date, x-amz-security-token and authorization. */
  return function sign(input: SignInput): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name in input.headers) out[name.toLowerCase()] = input.headers[name]!;
    delete out.host;
    out["x-amz-date"] = input.datetime;
    if (input.credentials.sessionToken) out["x-amz-security-token"] = input.credentials.sessionToken;
    const signable = ["host", ...Object.keys(out).filter((h) => !UNSIGNABLE.has(h))].sort();
    let canonicalHeaders = "";
    const { host, path, query } = canonicalTarget(input.url);
    for (const h of signable) canonicalHeaders += `${h}:${h === "host" ? host : out[h]!.replace(/\s+/g, " ")}\n`;
    const signedHeaders = signable.join(";");
    const bodyHash = crypto.sha256Hex(input.body ?? "");
    const canonical = `${input.method.toUpperCase()}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${bodyHash}`;
    const date = input.datetime.slice(0, 8);
    const scope = `${date}/${input.region}/${input.service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${input.datetime}\n${scope}\n${crypto.sha256Hex(canonical)}`;
    const signature = crypto.hmacSha256Hex(signingKey(input.credentials.secretAccessKey, date, input.region, input.service), stringToSign);
    out.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return out;
  };
}

type CanonicalTarget = { host: string; path: string; query: string };

/** The canonical URI: the path with repeated slashes merged, URI-encoded twice (non-S3 services). */
function canonicalPath(url: URL): string {
  return rfc3986(encodeURIComponent(url.pathname.replace(/\/+/g, "/")).replace(/%2F/g, "/"));
}

/** The canonical query string: names and values URI-encoded, sorted by name then value, empty names left out. */
function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .filter(([k]) => k)
    .map(([k, v]) => [rfc3986(encodeURIComponent(k)), rfc3986(encodeURIComponent(v))] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

// The last second formatted: every request within one second carries the same x-amz-date.
let lastSecond = Number.NaN;
let lastDate = "";

/** `YYYYMMDDTHHMMSSZ` for a time in ms. */
export function amzDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastDate = new Date(second * 1000).toISOString().replace(/[:-]|\.\d{3}/g, "");
    lastSecond = second;
  }
  return lastDate;
}
