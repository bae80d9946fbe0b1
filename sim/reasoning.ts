/**
 * Reasoning signatures: the simulator signs each reasoning text it produces with an HMAC (fixed secret, so a
 * restarted simulator still accepts signatures it issued earlier) and, like Claude, only accepts reasoning blocks
 * sent back with a signature it issued for exactly that text.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const SECRET = "bedrock-simulator/reasoning-signature/v1";

export function signReasoning(text: string): string {
  return createHmac("sha256", SECRET).update(text, "utf8").digest("base64");
}

export function verifyReasoning(text: string, signature: string): boolean {
  const expected = Buffer.from(signReasoning(text));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
