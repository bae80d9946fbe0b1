import { describe, expect, it } from "vitest";
import { createJwtVerifier, isAllowedJwksUrl, jwtVerifierOptions, looksLikeJwt } from "../../../src/auth/jwt";
import { ConfigError, parseConfig } from "../../../src/config";

const JWKS = "https://idp.example.com/.well-known/jwks.json";

describe("looksLikeJwt", () => {
  it.each([
    ["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", true],
    ["a.b.c", true],
    ["a-_.b-_.c-_", true],
    ["eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", false], // unsigned (alg none): no third segment
    ["a.b", false],
    ["a.b.c.d", false],
    ["a..c", false],
    ["a.b+/.c", false], // base64, not base64url
    ["a.b.c=", false], // padding is not part of base64url in JWS
    [`bgw_live_${"a".repeat(40)}`, false],
    ["", false],
    [`${"a".repeat(16 * 1024)}.b.c`, false],
  ])("%s → %s", (token, expected) => expect(looksLikeJwt(token)).toBe(expected));
});

describe("isAllowedJwksUrl", () => {
  it.each([
    [JWKS, true],
    ["http://127.0.0.1:4000/jwks", true],
    ["http://127.10.0.3/jwks", true],
    ["http://localhost:4000/jwks", true],
    ["http://[::1]:4000/jwks", true],
    ["http://idp.example.com/jwks", false],
    ["http://127.0.0.1.example.com/jwks", false],
    ["http://10.0.0.1/jwks", false],
    ["ftp://idp.example.com/jwks", false],
    ["not a url", false],
  ])("%s → %s", (url, expected) => expect(isAllowedJwksUrl(url)).toBe(expected));
});

describe("AUTH_* configuration", () => {
  it("is off by default, with the documented defaults", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ AUTH_AUDIENCE: [], AUTH_USER_CLAIM: "email", AUTH_JWT_ALGORITHMS: ["RS256", "ES256", "PS256", "EdDSA"] });
    expect(c.AUTH_JWKS_URL).toBeUndefined();
    expect(c.AUTH_TEAM_CLAIM).toBeUndefined();
    expect(jwtVerifierOptions(c)).toBeNull();
  });

  it.each([
    [{ AUTH_AUDIENCE: "gateway" }, { AUTH_AUDIENCE: ["gateway"] }],
    [{ AUTH_AUDIENCE: " gateway , api://bedrock ,," }, { AUTH_AUDIENCE: ["gateway", "api://bedrock"] }],
    [{ AUTH_USER_CLAIM: "preferred_username" }, { AUTH_USER_CLAIM: "preferred_username" }],
    [{ AUTH_USER_CLAIM: "" }, { AUTH_USER_CLAIM: "email" }],
    [{ AUTH_TEAM_CLAIM: "groups" }, { AUTH_TEAM_CLAIM: "groups" }],
    [{ AUTH_JWT_ALGORITHMS: "ES384, RS512" }, { AUTH_JWT_ALGORITHMS: ["ES384", "RS512"] }],
    [{ AUTH_JWT_ALGORITHMS: "" }, { AUTH_JWT_ALGORITHMS: ["RS256", "ES256", "PS256", "EdDSA"] }],
  ])("parses %j", (input, expected) => expect(parseConfig(input)).toMatchObject(expected));

  it("turns JWT authentication on with AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE", () => {
    const c = parseConfig({
      AUTH_JWKS_URL: JWKS,
      AUTH_ISSUER: "https://idp.example.com/",
      AUTH_AUDIENCE: "gateway,cli",
      AUTH_TEAM_CLAIM: "groups",
    });
    expect(jwtVerifierOptions(c)).toEqual({
      jwksUrl: JWKS,
      issuer: "https://idp.example.com/",
      audience: ["gateway", "cli"],
      userClaim: "email",
      teamClaim: "groups",
      algorithms: ["RS256", "ES256", "PS256", "EdDSA"],
    });
  });

  it.each([
    [{ AUTH_JWKS_URL: JWKS, AUTH_AUDIENCE: "gateway" }, ["AUTH_ISSUER"]],
    [{ AUTH_JWKS_URL: JWKS, AUTH_ISSUER: "https://idp.example.com/" }, ["AUTH_AUDIENCE"]],
    [{ AUTH_JWKS_URL: JWKS, AUTH_ISSUER: " ", AUTH_AUDIENCE: " , " }, ["AUTH_ISSUER", "AUTH_AUDIENCE"]],
    [{ AUTH_JWKS_URL: JWKS, PORT: "x" }, ["PORT", "AUTH_ISSUER", "AUTH_AUDIENCE"]],
    [{ AUTH_JWKS_URL: "http://idp.example.com/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" }, ["AUTH_JWKS_URL"]],
    [{ AUTH_JWKS_URL: "idp.example.com/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" }, ["AUTH_JWKS_URL"]],
    [{ AUTH_JWT_ALGORITHMS: "RS256,HS256" }, ["AUTH_JWT_ALGORITHMS"]],
    [{ AUTH_JWT_ALGORITHMS: "none" }, ["AUTH_JWT_ALGORITHMS"]],
    [{ AUTH_JWT_ALGORITHMS: "rs256" }, ["AUTH_JWT_ALGORITHMS"]],
  ])("rejects %j naming %j", (input, variables) => {
    let err: unknown;
    try {
      parseConfig(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(variables);
  });
});

describe("createJwtVerifier options", () => {
  const base = { jwksUrl: JWKS, issuer: "https://idp.example.com/", audience: "gateway" };
  it.each([
    [{ algorithms: ["HS256"] }, /HS256/],
    [{ algorithms: ["none"] }, /none/],
    [{ algorithms: [] }, /empty/],
    [{ jwksUrl: "http://idp.example.com/jwks" }, /https/],
    [{ issuer: "" }, /issuer/],
    [{ audience: [] }, /audience/],
  ])("refuses %j", (override, message) => {
    expect(() => createJwtVerifier({ ...base, ...override } as Parameters<typeof createJwtVerifier>[0])).toThrow(message);
  });

  it("accepts the defaults", () => expect(typeof createJwtVerifier(base).verify).toBe("function"));
});
