/**
 * Every refused key gets the same 401 body (a response never tells whether a key exists); the log line says why,
 * with the key's visible prefix only when the token has the gateway's key format.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyPrefix, generateApiKey } from "../../../src/auth/api-key";
import { createKey, revokeKey } from "../../../src/db/keys";
import { systemClock } from "../../../src/deps";
import { openTestPostgres, randomEmail, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "../faults/app-harness";

let t: TestDb;
let h: Harness;
beforeAll(async () => {
  t = await openTestPostgres();
  // No key cache: a revocation shows at once.
  h = createHarness({ db: t.db, env: { KEY_CACHE_TTL_MS: "0" } });
});
afterAll(async () => t.close());

const ask = (headers: Record<string, string>) => h.app.request("/v1/models", { headers });
const rejectionOf = (requestId: string | null) => h.logs.find((l) => l.msg === "request rejected" && l.requestId === requestId);

describe("401 reasons", () => {
  it("answers the same 401 for malformed, unknown, revoked and expired keys, and logs each reason", async () => {
    const revoked = await createKey(t.db, { user: randomEmail("revoked"), actor: "test" }, systemClock);
    await revokeKey(t.db, revoked.id, systemClock, "test");
    const expired = await createKey(t.db, { user: randomEmail("expired"), actor: "test", expiresAt: new Date(Date.now() - 60_000) }, systemClock);
    const unknown = generateApiKey().key;
    const malformed = "sk-proj-thisIsNotAGatewayKey0123456789";

    const cases = [
      { token: malformed, reason: "malformed_key", prefix: undefined },
      { token: `bgw_live_${"x".repeat(12)}`, reason: "malformed_key", prefix: undefined },
      { token: unknown, reason: "unknown_key", prefix: apiKeyPrefix(unknown) },
      { token: revoked.key, reason: "revoked_key", prefix: revoked.prefix },
      { token: expired.key, reason: "expired_key", prefix: expired.prefix },
    ];
    const bodies = new Set<string>();
    for (const c of cases) {
      const res = await ask({ authorization: `Bearer ${c.token}` });
      expect(res.status).toBe(401);
      bodies.add(await res.text());
      const line = rejectionOf(res.headers.get("x-request-id"));
      expect(line, c.reason).toMatchObject({ level: "info", reason: c.reason, path: "/v1/models" });
      expect(line!.keyPrefix).toBe(c.prefix);
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });

    // Never any part of a token beyond a gateway key's visible prefix.
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain("thisIsNotAGatewayKey");
    expect(logged).not.toContain("xxxxxxxxxxxx");
    for (const c of cases.slice(2)) expect(logged).not.toContain(c.token);
  });

  it("logs missing_key for a request without a key", async () => {
    const res = await ask({});
    expect(res.status).toBe(401);
    expect(rejectionOf(res.headers.get("x-request-id"))).toMatchObject({ reason: "missing_key" });
    expect(rejectionOf(res.headers.get("x-request-id"))!.keyPrefix).toBeUndefined();
  });
});
