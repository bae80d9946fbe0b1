/**
 * `encrypted_content` of reasoning items: the signed thinking blocks a stateless client (Codex CLI with
 * `store: false`) must send back on its next turn, sealed with AES-256-GCM (Web Crypto) so the client can neither
 * read nor forge them. The key is derived with HKDF-SHA-256 from RESPONSES_SEAL_KEY; without it, from random bytes
 * drawn once per process (Workers: per isolate), so content sealed before a restart, or by another instance, no
 * longer opens. The caller's identity (its key id) is the additional authenticated data: content sealed for one
 * key does not open for another. NIST SP 800-38D: 96-bit random IVs, at most 2^32 seals per key.
 */
import type { ReasoningContentBlock } from "../../bedrock/converse-types";
import { bytesToBase64 } from "../../translate/base64";

const PREFIX = "bgw1.";
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Sealer = {
  seal(owner: string, blocks: ReasoningContentBlock[]): Promise<string>;
  /** The blocks, or null when the content was not sealed by this key for this owner (or was altered). */
  open(owner: string, sealed: string): Promise<ReasoningContentBlock[] | null>;
};

export function createSealer(secret: string | undefined): Sealer {
  let key: Promise<CryptoKey> | undefined;
  const getKey = () => {
    key ??= deriveKey(secret ? encoder.encode(secret) : crypto.getRandomValues(new Uint8Array(32)));
    return key;
  };
  return {
    async seal(owner, blocks) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const plain = encoder.encode(JSON.stringify({ blocks }));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(owner) }, await getKey(), plain));
      const out = new Uint8Array(IV_BYTES + ct.length);
      out.set(iv);
      out.set(ct, IV_BYTES);
      return PREFIX + toBase64Url(out);
    },
    async open(owner, sealed) {
      if (!sealed.startsWith(PREFIX)) return null;
      const bytes = fromBase64Url(sealed.slice(PREFIX.length));
      if (!bytes || bytes.length <= IV_BYTES + 16) return null;
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(owner) },
          await getKey(),
          bytes.subarray(IV_BYTES),
        );
        const value = JSON.parse(decoder.decode(plain)) as { blocks?: unknown };
        return Array.isArray(value.blocks) ? (value.blocks as ReasoningContentBlock[]) : null;
      } catch {
        return null;
      }
    },
  };
}

async function deriveKey(material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode("bedrock-gateway"), info: encoder.encode("responses reasoning seal v1") },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function toBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
