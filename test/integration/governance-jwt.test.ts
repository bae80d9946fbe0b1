/** JWT callers through the app: verified against a loopback JWKS, governed by their user and team rows, billed without a key. */
import { createServer, type Server } from "node:http";
import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../sim/server";
import { teams, usageEvents, users } from "../../src/db/schema";
import { randomEmail, testBackends, type TestDb } from "../support/db";
import { createHarness, type Harness } from "./faults/app-harness";

const ISSUER = "https://idp.example.test/";
const AUDIENCE = "bedrock-gateway";
let sim: Simulator;
let server: Server;
let jwksUrl = "";
let privateKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
});
afterAll(async () => {
  await sim.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const token = (claims: Record<string, unknown>, opts: { aud?: string; exp?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "5m")
    .sign(privateKey);

describe.each(testBackends)("JWT callers on $name", ({ open }) => {
  let t: TestDb;
  let h: Harness;
  beforeAll(async () => {
    t = await open();
    h = createHarness({
      db: t.db,
      bedrockUrl: sim.url,
      batchWriter: {},
      env: { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_TEAM_CLAIM: "groups" },
    });
  });
  afterAll(async () => t.close());

  const chat = (bearer: string, model: string) => h.post("/v1/chat/completions", bearer, { model, messages: [{ role: "user", content: "hi from sso" }] });

  it("a valid token is served under its user's and team's policy and recorded without a key", async () => {
    const email = randomEmail("sso");
    const team = `sso-${Math.random().toString(36).slice(2)}`;
    await t.db.insert(users).values({ email, allowedModels: ["nova-*"] });
    await t.db.insert(teams).values({ name: team, rpmLimit: 100 });
    const jwt = await token({ email, groups: [team, "other"] });
    const ok = await chat(jwt, "nova-lite");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit-requests")).toBe("100");
    expect((await chat(jwt, "claude-sonnet-4-5")).status).toBe(404);
    await h.settle();
    const rows = await t.db.select().from(usageEvents).where(eq(usageEvents.userEmail, email));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.auth === "jwt" && r.keyId === null && r.team === team)).toBe(true);
    expect(rows.find((r) => r.status === "ok")!.costMicros).toBeGreaterThan(0);
  });

  it.each([
    ["expired", () => token({ email: "a@example.com" }, { exp: "-1m" })],
    ["wrong audience", () => token({ email: "a@example.com" }, { aud: "someone-else" })],
    ["no email claim", () => token({ sub: "x" })],
    [
      "unsigned (alg none)",
      async () =>
        `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ email: "a@example.com", iss: ISSUER, aud: AUDIENCE })).replace(/=+$/, "")}.`,
    ],
  ])("a token that is %s answers 401 invalid_api_key", async (_name, make) => {
    const res = await chat(await make(), "nova-lite");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });
});
