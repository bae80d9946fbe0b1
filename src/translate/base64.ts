/**
 * Base64 and data-URL helpers on Web-standard APIs only (no Buffer), so translation runs on Node, Bun and Workers.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether `s` is canonical standard base64 (RFC 4648 §4, padded, no whitespace): what Bedrock's JSON blobs accept. */
export function isValidBase64(s: string): boolean {
  return s.length > 0 && s.length % 4 === 0 && BASE64.test(s);
}

/** Number of bytes `s` decodes to (assumes `isValidBase64(s)`). */
export function decodedByteLength(s: string): number {
  const padding = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return (s.length / 4) * 3 - padding;
}

export type DataUrl = { mediaType: string; base64: string };

/**
 * Parses `data:<mediatype>[;params];base64,<data>`. Returns null when `url` is not a base64 data URL
 * (percent-encoded data URLs are not accepted: Bedrock needs bytes, and clients send base64 in practice).
 */
export function parseDataUrl(url: string): DataUrl | null {
  if (!url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0) return null;
  const meta = url
    .slice(5, comma)
    .split(";")
    .map((s) => s.trim());
  if (meta[meta.length - 1]?.toLowerCase() !== "base64") return null;
  return { mediaType: (meta[0] ?? "").toLowerCase(), base64: url.slice(comma + 1) };
}

/** Standard base64 of `bytes` (what OpenAI returns for `encoding_format: "base64"`). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Little-endian float32 bytes of `values`, base64-encoded (OpenAI's base64 embedding format). */
export function float32ToBase64(values: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytesToBase64(new Uint8Array(view.buffer));
}
