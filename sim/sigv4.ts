/**
 * SigV4 verification with @smithy/signature-v4 as the reference signer: the request is rebuilt from what arrived
 * (method, the path exactly as received, the query, the headers named in SignedHeaders with their received values,
 * the body) and signed again; the signatures must match.
 *
 * Path encoding: for every service but S3 the canonical URI is the URI-encoding of the path *as sent*, so a model id
 * sent as `claude-x-v1%3A0` appears as `claude-x-v1%253A0` in the canonical request ("double encoding"). The signer
 * does that with `uriEscapePath: true`, given the raw path. aws4fetch does the same when the URL it signs already
 * carries `encodeURIComponent(modelId)`; so does the AWS SDK.
 * x-amz-content-sha256, when sent, must be the body's SHA-256 (UNSIGNED-PAYLOAD is not accepted).
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import { getCanonicalHeaders, SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, HttpRequest, SourceData } from "@smithy/types";
import { SimError } from "./errors";

export type Credential = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
export type ArrivedRequest = { method: string; url: string; rawHeaders: string[]; body: Uint8Array };

const MAX_SKEW_MS = 5 * 60_000;
const AUTH = /^AWS4-HMAC-SHA256 (.+)$/;

function bytes(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * SHA-256 / HMAC-SHA256 for the signer from node:crypto: the same digests as @aws-crypto/sha256-js (checked in
 * test/sim/parts.test.ts) at a fraction of the CPU, which matters when the simulator shares cores with a benchmark.
 */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Exposes the canonical request for the mismatch message, as AWS includes it. */
class Signer extends SignatureV4 {
  canonical(request: HttpRequest, signed: Set<string>, payloadHash: string): string {
    return this.createCanonicalRequest(request, getCanonicalHeaders(request, undefined, signed), payloadHash);
  }
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function parseAmzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

function headerValues(rawHeaders: string[], name: string): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!.trim());
  return out.length ? out : undefined;
}

function parseAuthorization(value: string): { credential: string; signedHeaders: string; signature: string } {
  const m = AUTH.exec(value.trim());
  if (!m)
    throw new SimError(
      "IncompleteSignatureException",
      `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${value.split(" ")[0]}`,
    );
  const params = new Map(m[1]!.split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((k) => !params.get(k));
  if (missing.length) throw new SimError("IncompleteSignatureException", missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" "));
  return { credential: params.get("Credential")!, signedHeaders: params.get("SignedHeaders")!, signature: params.get("Signature")! };
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of raw ? raw.split("&") : []) {
    const [k, v = ""] = pair.split("=", 2).map((s) => decodeURIComponent(s.replace(/\+/g, " "))) as [string, string?];
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

/**
 * `region` is the endpoint's own region; `regions` are further regions it answers for, as when one override endpoint
 * stands in for every region's endpoint. Resolves with the region the request was signed for.
 */
export function createVerifier(opts: { credentials: Credential[]; region: string; regions?: string[]; service?: string; now?: () => number }) {
  const service = opts.service ?? "bedrock";
  const now = opts.now ?? Date.now;
  const byKey = new Map(opts.credentials.map((c) => [c.accessKeyId, c]));
  const regions = new Set([opts.region, ...(opts.regions ?? [])]);
  // The session token is checked above and signed like any other header, so the signer needs only the key pair.
  const signers = new Map<string, Signer>();
  const signerFor = (c: Credential, region: string): Signer => {
    const key = `${c.accessKeyId}\0${region}`;
    let signer = signers.get(key);
    if (!signer) {
      signer = new Signer({
        service,
        region,
        credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
        sha256: NodeSha256,
        uriEscapePath: true,
        applyChecksum: false,
      });
      signers.set(key, signer);
    }
    return signer;
  };

  return async function verify(req: ArrivedRequest): Promise<string> {
    const auth = headerValues(req.rawHeaders, "authorization")?.[0];
    if (!auth) throw new SimError("MissingAuthenticationTokenException");
    const { credential, signedHeaders, signature } = parseAuthorization(auth);
    const [keyId, scopeDate, scopeRegion, scopeService, terminator] = credential.split("/");
    const cred = byKey.get(keyId ?? "");
    if (!cred) throw new SimError("UnrecognizedClientException");
    const token = headerValues(req.rawHeaders, "x-amz-security-token")?.[0];
    if ((cred.sessionToken ?? undefined) !== token) throw new SimError("UnrecognizedClientException");

    const dateHeader = headerValues(req.rawHeaders, "x-amz-date")?.[0];
    const signedAt = dateHeader ? parseAmzDate(dateHeader) : undefined;
    if (!dateHeader || !signedAt)
      throw new SimError("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    const t = now();
    if (signedAt.getTime() < t - MAX_SKEW_MS) {
      throw new SimError(
        "InvalidSignatureException",
        `Signature expired: ${dateHeader} is now earlier than ${amzDate(new Date(t - MAX_SKEW_MS))} (${amzDate(new Date(t))} - 5 min.)`,
      );
    }
    if (signedAt.getTime() > t + MAX_SKEW_MS) {
      throw new SimError(
        "InvalidSignatureException",
        `Signature not yet current: ${dateHeader} is still later than ${amzDate(new Date(t + MAX_SKEW_MS))} (${amzDate(new Date(t))} + 5 min.)`,
      );
    }
    if (scopeDate !== dateHeader.slice(0, 8)) {
      throw new SimError(
        "InvalidSignatureException",
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${dateHeader.slice(0, 8)}', from '${dateHeader}'.`,
      );
    }
    if (!scopeRegion || !regions.has(scopeRegion)) throw new SimError("InvalidSignatureException", `Credential should be scoped to a valid region. `);
    if (scopeService !== service) throw new SimError("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'. `);
    if (terminator !== "aws4_request")
      throw new SimError("InvalidSignatureException", `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
    const names = signedHeaders.toLowerCase().split(";");
    if (!names.includes("host")) throw new SimError("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    const bodyHash = () => createHash("sha256").update(req.body).digest("hex");
    const claimed = headerValues(req.rawHeaders, "x-amz-content-sha256")?.[0];
    const headers: Record<string, string> = {};
    for (const name of names) {
      const values = headerValues(req.rawHeaders, name);
      if (values) headers[name] = values.join(",");
    }
    const [path, rawQuery = ""] = req.url.split("?", 2) as [string, string?];
    const request: HttpRequest = {
      method: req.method,
      protocol: "http:",
      hostname: headers.host ?? "",
      path,
      query: parseQuery(rawQuery),
      headers,
      body: req.body,
    };
    const signer = signerFor(cred, scopeRegion);
    const signed = await signer.sign(request, { signingDate: signedAt, signableHeaders: new Set(names) });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? "";
    const ok = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
    if (ok && (claimed === undefined || claimed === bodyHash())) return scopeRegion;
    const canonical = signer.canonical(request, new Set(names), claimed ?? bodyHash());
    throw new SimError(
      "InvalidSignatureException",
      `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonical}'\n`,
    );
  };
}
