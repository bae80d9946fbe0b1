/**
 * A self-signed X.509 certificate for local HTTPS servers in tests, built with node:crypto alone: a P-256 key, the
 * DER of RFC 5280's TBSCertificate (v3, subjectAltName with the given DNS names and IP addresses) and an ECDSA
 * signature over it. No fixture files, no openssl binary.
 */
import { generateKeyPairSync, sign } from "node:crypto";

const tlv = (tag: number, body: Buffer): Buffer => {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [a! * 40 + b!];
  for (const v of rest) {
    const enc = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) enc.unshift((x & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return tlv(0x06, Buffer.from(bytes));
};
const int = (v: number) => tlv(0x02, Buffer.from([v]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const utcTime = (d: Date) => tlv(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-:T]/g, "")}Z`, "ascii"));
const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function ipBytes(ip: string): Buffer {
  if (ip.includes(":")) throw new Error("IPv4 SANs only in this helper");
  return Buffer.from(ip.split(".").map(Number));
}

export type TestCertificate = { key: string; cert: string };

export function selfSignedCertificate(opts: { dns?: string[]; ips?: string[]; commonName?: string } = {}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = seq(set(seq(oid("2.5.4.3"), utf8(opts.commonName ?? opts.dns?.[0] ?? "test"))));
  const now = Date.now();
  const names = [...(opts.dns ?? []).map((d) => tlv(0x82, Buffer.from(d, "ascii"))), ...(opts.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip)))];
  const extensions = seq(
    seq(oid("2.5.29.17"), tlv(0x04, seq(...names))),
    // CA:TRUE so the certificate can be its own trust anchor (`ca` option) as well as the server's leaf.
    seq(oid("2.5.29.19"), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
  );
  const tbs = seq(
    explicit(0, int(2)),
    tlv(0x02, Buffer.from([0x01, ...Array.from({ length: 8 }, () => Math.floor(Math.random() * 256))])),
    ECDSA_SHA256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END CERTIFICATE-----\n`;
  return { key: privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: pem };
}
