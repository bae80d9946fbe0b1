import { createServer, type Server } from "node:http";
import { CompactSign, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createJwtVerifier, type JwtAuthReason, type JwtVerifierOptions } from "../../src/auth/jwt";
import { freePort } from "../support/ports";

const ISSUER = "https://idp.example.test/";
const AUDIENCE = "bedrock-gateway";

type Signer = { kid: string; alg: string; privateKey: CryptoKey; jwk: JWK };
async function signer(kid: string, alg: "RS256" | "ES256" | "PS256" | "EdDSA"): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** The identity provider's JWKS endpoint on loopback: serves `keys`, counts requests, can fail on demand. */
const idp = {
  keys: [] as JWK[],
  requests: 0,
  mode: "ok" as "ok" | "500" | "junk" | "hang",
  server: null as Server | null,
  url: "",
};

let rsa: Signer;
let ec: Signer;
let ed: Signer;
let ps: Signer;
let rotated: Signer;
let stranger: Signer;

beforeAll(async () => {
  [rsa, ec, ed, ps, rotated, stranger] = await Promise.all([
    signer("rsa-1", "RS256"),
    signer("ec-1", "ES256"),
    signer("ed-1", "EdDSA"),
    signer("ps-1", "PS256"),
    signer("rsa-2", "RS256"),
    signer("rsa-1", "RS256"), // same kid as `rsa`, a key the identity provider never published
  ]);
  idp.keys = [rsa.jwk, ec.jwk, ed.jwk, ps.jwk];
  idp.server = createServer((req, res) => {
    idp.requests++;
    if (!req.url?.endsWith("/.well-known/jwks.json")) return void res.writeHead(404).end();
    if (idp.mode === "hang") return; // never answers
    if (idp.mode === "500") return void res.writeHead(500).end("oops");
    if (idp.mode === "junk") return void res.writeHead(200, { "content-type": "application/json" }).end("{not json");
    res.writeHead(200, { "content-type": "application/jwk-set+json" }).end(JSON.stringify({ keys: idp.keys }));
  });
  await new Promise<void>((r) => idp.server!.listen(0, "127.0.0.1", r));
  idp.url = `http://127.0.0.1:${(idp.server.address() as { port: number }).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  idp.server?.closeAllConnections();
  await new Promise<void>((r) => idp.server!.close(() => r()));
});

afterEach(() => {
  idp.keys = [rsa.jwk, ec.jwk, ed.jwk, ps.jwk];
  idp.requests = 0;
  idp.mode = "ok";
  vi.useRealTimers();
});

const nowSec = () => Math.floor(Date.now() / 1000);

async function token(
  s: Signer,
  claims: Record<string, unknown> = {},
  opts: { iss?: string; aud?: string | string[]; exp?: number | null; nbf?: number; header?: Record<string, unknown> } = {},
): Promise<string> {
  const jwt = new SignJWT({ email: "alice@example.com", groups: ["platform", "ml"], ...claims })
    .setProtectedHeader({ alg: s.alg, kid: s.kid, typ: "JWT", ...opts.header })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject("00u1abcd")
    .setIssuedAt();
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? nowSec() + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(s.privateKey);
}

function verifier(over: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({ jwksUrl: idp.url, issuer: ISSUER, audience: AUDIENCE, teamClaim: "groups", ...over });
}

async function reasonOf(p: Promise<unknown>): Promise<JwtAuthReason | "accepted"> {
  try {
    await p;
    return "accepted";
  } catch (err) {
    expect((err as Error).name).toBe("JwtAuthError");
    return (err as { reason: JwtAuthReason }).reason;
  }
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("JWT verifier against a JWKS server", () => {
  it("accepts a valid RS256 token: user from email, team from the first group, subject, expiry", async () => {
    const exp = nowSec() + 900;
    const id = await verifier().verify(await token(rsa, {}, { exp }));
    expect(id).toEqual({ user: "alice@example.com", team: "platform", subject: "00u1abcd", expiresAt: new Date(exp * 1000) });
  });

  it.each([
    ["ES256", () => ec],
    ["EdDSA", () => ed],
    ["PS256", () => ps],
  ])("accepts %s tokens", async (_alg, s) => {
    expect((await verifier().verify(await token(s()))).user).toBe("alice@example.com");
  });

  it.each([
    [{ groups: "research" }, "groups", "research"],
    [{ groups: [] }, "groups", null],
    [{ groups: [42, "x"] }, "groups", null],
    [{ team: "infra" }, "team", "infra"],
    [{}, null, null],
  ])("team claim %j read as %s → %s", async (claims, teamClaim, team) => {
    const t = await token(rsa, { groups: undefined, ...claims });
    expect((await verifier({ teamClaim }).verify(t)).team).toBe(team);
  });

  it("uses the configured user claim, and a token without exp has no expiry", async () => {
    const t = await token(rsa, { preferred_username: "bob" }, { exp: null });
    expect(await verifier({ userClaim: "preferred_username" }).verify(t)).toMatchObject({ user: "bob", expiresAt: null });
  });

  it("accepts any of several audiences", async () => {
    const v = verifier({ audience: ["other-app", AUDIENCE] });
    expect((await v.verify(await token(rsa, {}, { aud: AUDIENCE }))).user).toBe("alice@example.com");
    expect((await v.verify(await token(rsa, {}, { aud: ["x", "other-app"] }))).user).toBe("alice@example.com");
  });

  it.each<[string, () => Promise<string>, JwtAuthReason]>([
    ["expired", () => token(rsa, {}, { exp: nowSec() - 120 }), "expired"],
    ["not yet valid (nbf)", () => token(rsa, {}, { nbf: nowSec() + 300 }), "not_yet_valid"],
    ["wrong audience", () => token(rsa, {}, { aud: "someone-else" }), "wrong_audience"],
    ["wrong issuer", () => token(rsa, {}, { iss: "https://evil.example.test/" }), "wrong_issuer"],
    ["signed by an unpublished key under a known kid", () => token(stranger), "bad_signature"],
    ["missing email", () => token(rsa, { email: undefined }), "missing_user_claim"],
    ["empty email", () => token(rsa, { email: " " }), "missing_user_claim"],
    ["email not a string", () => token(rsa, { email: ["alice@example.com"] }), "missing_user_claim"],
    ["alg in the header differs from the key's", () => token(ps, {}, { header: { kid: "rsa-1" } }), "unknown_kid"],
  ])("refuses a token that is %s", async (_what, make, reason) => {
    expect(await reasonOf(verifier().verify(await make()))).toBe(reason);
  });

  it("allows 30 s of clock skew by default, and follows the injected clock", async () => {
    const t = await token(rsa, {}, { exp: nowSec() - 10 });
    expect(await reasonOf(verifier().verify(t))).toBe("accepted");
    expect(await reasonOf(verifier({ clockToleranceSeconds: 0 }).verify(t))).toBe("expired");
    const later = { now: () => Date.now() + 3600_000 };
    expect(await reasonOf(verifier({ clock: later }).verify(await token(rsa)))).toBe("expired");
  });

  it("refuses a tampered payload", async () => {
    const [h, , s] = (await token(rsa)).split(".");
    const forged = `${h}.${b64url({ email: "admin@example.com", iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 })}.${s}`;
    expect(await reasonOf(verifier().verify(forged))).toBe("bad_signature");
  });

  it("refuses alg none before fetching any key", async () => {
    const payload = b64url({ email: "alice@example.com", iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 });
    for (const alg of ["none", "None", "NONE"]) {
      expect(await reasonOf(verifier().verify(`${b64url({ alg, typ: "JWT" })}.${payload}.`))).toBe("bad_alg");
      expect(await reasonOf(verifier().verify(`${b64url({ alg, kid: "rsa-1" })}.${payload}.c2ln`))).toBe("bad_alg");
    }
    expect(idp.requests).toBe(0);
  });

  it("refuses HS256 tokens, whether signed with a guessed secret or with the public key as the secret", async () => {
    const claims = { email: "alice@example.com" };
    const guessed = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("secret"));
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
    expect(await reasonOf(verifier().verify(guessed))).toBe("bad_alg");
    expect(await reasonOf(verifier().verify(confused))).toBe("bad_alg");
    expect(idp.requests).toBe(0);
  });

  it("refuses algorithms outside the configured list", async () => {
    expect(await reasonOf(verifier({ algorithms: ["RS256"] }).verify(await token(ec)))).toBe("bad_alg");
  });

  it.each([["not.a.jwt"], ["a.b"], [`${b64url("just a string")}.${b64url({})}.c2ln`], [""]])("refuses the malformed token %j", async (t) => {
    expect(await reasonOf(verifier().verify(t))).toBe("malformed");
  });

  it.each([
    ["not JSON", "not json"],
    ["a JSON array", "[1,2]"],
    ["an exp that is not a number", JSON.stringify({ email: "a@example.com", iss: ISSUER, aud: AUDIENCE, exp: "soon" })],
  ])("refuses a properly signed payload that is %s as malformed", async (_what, payload) => {
    const t = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: "RS256", kid: "rsa-1" }).sign(rsa.privateKey);
    expect(await reasonOf(verifier().verify(t))).toBe("malformed");
  });

  it("never puts the token or its claims in the error", async () => {
    const t = await token(rsa, { email: "secret-person@example.com" }, { aud: "someone-else" });
    const err = await verifier()
      .verify(t)
      .catch((e: Error) => e);
    const text = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).cause ?? "")}`;
    for (const part of t.split(".")) expect(text).not.toContain(part);
    expect(text).not.toContain("secret-person");
  });
});

describe("JWKS cache", () => {
  it("fetches the key set once for many tokens, and once for concurrent first requests", async () => {
    const v = verifier();
    const tokens = await Promise.all([rsa, ec, ed, rsa, ec, ed].map((s) => token(s)));
    await Promise.all(tokens.map((t) => v.verify(t)));
    for (const t of tokens) await v.verify(t);
    expect(idp.requests).toBe(1);
  });

  it("uses the injected fetch", async () => {
    const urls: string[] = [];
    const v = verifier({
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    await v.verify(await token(rsa));
    expect(urls).toEqual([idp.url]);
  });

  it("fetches again once the cache is older than cacheTtlMs", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const v = verifier({ cacheTtlMs: 60_000 });
    const t = await token(rsa, {}, { exp: nowSec() + 3600 });
    await v.verify(t);
    vi.setSystemTime(Date.now() + 59_000);
    await v.verify(t);
    expect(idp.requests).toBe(1);
    vi.setSystemTime(Date.now() + 2_000);
    await v.verify(t);
    expect(idp.requests).toBe(2);
  });

  it("after a key rotation fetches the new kid once; a truly unknown kid is refused without a fetch storm", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const v = verifier();
    await v.verify(await token(rsa, {}, { exp: nowSec() + 3600 }));
    expect(idp.requests).toBe(1);

    // The identity provider publishes a new key and starts signing with it some minutes later.
    idp.keys = [rotated.jwk, rsa.jwk];
    vi.setSystemTime(Date.now() + 5 * 60_000);
    const fresh = await token(rotated, {}, { exp: nowSec() + 3600 });
    expect((await v.verify(fresh)).user).toBe("alice@example.com");
    expect(idp.requests).toBe(2);
    await v.verify(fresh);
    await v.verify(await token(rsa, {}, { exp: nowSec() + 3600 }));
    expect(idp.requests).toBe(2);

    // Made-up kids: refused, and within the cooldown they cause no further requests.
    for (const kid of ["nope-1", "nope-2", "nope-3"]) {
      const t = await token({ ...rsa, kid }, {}, { exp: nowSec() + 3600 });
      expect(await reasonOf(v.verify(t))).toBe("unknown_kid");
    }
    expect(idp.requests).toBe(2);

    // After the cooldown one unknown kid may look again, once.
    vi.setSystemTime(Date.now() + 31_000);
    expect(await reasonOf(v.verify(await token({ ...rsa, kid: "nope-4" }, {}, { exp: nowSec() + 3600 })))).toBe("unknown_kid");
    expect(await reasonOf(v.verify(await token({ ...rsa, kid: "nope-5" }, {}, { exp: nowSec() + 3600 })))).toBe("unknown_kid");
    expect(idp.requests).toBe(3);
  });

  it("refuses a kid dropped from the key set once the set is fetched again", async () => {
    const v = verifier({ cacheTtlMs: 0 });
    const old = await token(rsa);
    await v.verify(old);
    idp.keys = [rotated.jwk];
    expect(await reasonOf(v.verify(old))).toBe("unknown_kid");
  });
});

describe("JWKS unavailable", () => {
  it.each([
    ["answers 500", "500"],
    ["answers something other than JSON", "junk"],
  ] as const)("when the server %s", async (_what, mode) => {
    idp.mode = mode;
    expect(await reasonOf(verifier().verify(await token(rsa)))).toBe("jwks_unavailable");
  });

  it("when the server does not answer in time", async () => {
    idp.mode = "hang";
    const started = Date.now();
    expect(await reasonOf(verifier({ fetchTimeoutMs: 200 }).verify(await token(rsa)))).toBe("jwks_unavailable");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("when nothing listens on the port", async () => {
    const port = await freePort();
    const v = verifier({ jwksUrl: `http://127.0.0.1:${port}/jwks` });
    expect(await reasonOf(v.verify(await token(rsa)))).toBe("jwks_unavailable");
  });

  it("recovers when the server is back", async () => {
    const v = verifier();
    idp.mode = "500";
    const t = await token(rsa);
    expect(await reasonOf(v.verify(t))).toBe("jwks_unavailable");
    idp.mode = "ok";
    expect(await reasonOf(v.verify(t))).toBe("accepted");
  });
});
