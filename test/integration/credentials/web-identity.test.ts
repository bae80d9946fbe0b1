import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { answer, captureLogger, fixture, HOUR, isolatedEnv, MINUTE, provider, startFake, xml } from "./fakes";

const ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-gateway-irsa";

function tokenFile(contents: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "bgw-irsa-")), "token");
  writeFileSync(file, contents);
  return file;
}

const irsaEnv = (sts: string, file: string, extra: Record<string, string> = {}) =>
  isolatedEnv({ AWS_ENDPOINT_URL_STS: sts, AWS_WEB_IDENTITY_TOKEN_FILE: file, AWS_ROLE_ARN: ROLE_ARN, ...extra });

describe("web identity (EKS IRSA): STS AssumeRoleWithWebIdentity", () => {
  it("posts the Query API form with the token file's contents and reads the XML answer", async () => {
    const sts = await startFake(() => xml(answer("sts-assume-role-with-web-identity.xml", { accessKeyId: "ASIAIRSA", expiration: Date.now() + HOUR })));
    const p = provider(irsaEnv(sts.url, tokenFile("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.irsa.sig\n"), { AWS_ROLE_SESSION_NAME: "gw-pod-7" }));
    const found = await p.announce();
    expect(await p()).toEqual({
      accessKeyId: "ASIAIRSA",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
      sessionToken: "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE",
      expiration: expect.any(Number),
    });
    expect(found).toMatchObject({
      source: "web-identity",
      identity: { roleArn: ROLE_ARN, assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1" },
    });
    const [req] = sts.seen;
    expect(req!.method).toBe("POST");
    expect(req!.url).toBe("/");
    expect(req!.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=utf-8");
    expect(req!.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: ROLE_ARN,
      RoleSessionName: "gw-pod-7",
      WebIdentityToken: "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.irsa.sig",
    });
  });

  it("names the session after the gateway when AWS_ROLE_SESSION_NAME is unset", async () => {
    const sts = await startFake(() => xml(answer("sts-assume-role-with-web-identity.xml", { expiration: Date.now() + HOUR })));
    await provider(irsaEnv(sts.url, tokenFile("t"))).announce();
    expect(new URLSearchParams(sts.seen[0]!.body).get("RoleSessionName")).toMatch(/^bedrock-gateway-\d+$/);
  });

  it("reads the rotated token file again when it refreshes", async () => {
    let now = Date.now();
    const file = tokenFile("first-token");
    const sts = await startFake((_req, n) =>
      xml(answer("sts-assume-role-with-web-identity.xml", { accessKeyId: `ASIAIRSA${n}`, expiration: now + 60 * MINUTE })),
    );
    const p = provider(irsaEnv(sts.url, file), { clock: () => now });
    expect((await p()).accessKeyId).toBe("ASIAIRSA0");
    writeFileSync(file, "rotated-token");
    now += 56 * MINUTE;
    expect((await p()).accessKeyId).toBe("ASIAIRSA0"); // still valid: served while the refresh runs
    await expect.poll(async () => (await p()).accessKeyId).toBe("ASIAIRSA1");
    expect(sts.seen.map((r) => new URLSearchParams(r.body).get("WebIdentityToken"))).toEqual(["first-token", "rotated-token"]);
  });

  it.each([
    ["sts-error-invalid-identity-token.xml", 400, "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider"],
    ["sts-error-expired-token.xml", 400, "ExpiredTokenException: Token expired: current date/time 1700000600"],
    ["sts-error-access-denied.xml", 403, "AccessDenied: User: arn:aws:iam::123456789012:user/gateway-source is not authorized"],
  ])("reports %s without retrying it", async (file, status, message) => {
    const sts = await startFake(() => xml(fixture(file), status));
    const logs = captureLogger();
    const p = provider(irsaEnv(sts.url, tokenFile("eyJ.secret-jwt.sig")), { logger: logs.logger });
    expect(await p.announce()).toBeNull();
    expect(await p()).toEqual({ accessKeyId: "", secretAccessKey: "" });
    expect(sts.seen).toHaveLength(1);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({ level: "warn" });
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain(
      `STS AssumeRoleWithWebIdentity (${new URL(sts.url).host}) for ${ROLE_ARN} failed (${status}): ${message}`,
    );
    expect(logs.text()).not.toContain("secret-jwt");
  });

  it("retries IDPCommunicationError once, as AWS advises", async () => {
    const sts = await startFake((_req, n) =>
      n === 0 ? xml(fixture("sts-error-idp-communication.xml"), 400) : xml(answer("sts-assume-role-with-web-identity.xml", { expiration: Date.now() + HOUR })),
    );
    const p = provider(irsaEnv(sts.url, tokenFile("t")));
    expect((await p()).accessKeyId).toBe("ASgeIAIOSFODNN7EXAMPLE");
    expect(sts.seen).toHaveLength(2);
  });

  it("reports a missing token file", async () => {
    const logs = captureLogger();
    await provider(irsaEnv("http://127.0.0.1:9", "/nonexistent/irsa/token"), { logger: logs.logger }).announce();
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain("web identity: cannot read the token file /nonexistent/irsa/token (ENOENT)");
  });

  it("uses the regional endpoint of AWS_REGION by default (answered here by a fetch that sends nothing)", async () => {
    const asked: string[] = [];
    const refuse: typeof fetch = async (input) => {
      asked.push(input instanceof Request ? input.url : String(input));
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    };
    const logs = captureLogger();
    const env = { ...irsaEnv("", tokenFile("t")), AWS_ENDPOINT_URL_STS: undefined };
    expect(await provider(env, { logger: logs.logger, config: { AWS_REGION: "eu-west-3" }, fetch: refuse }).announce()).toBeNull();
    expect(asked).toEqual(["https://sts.eu-west-3.amazonaws.com/", "https://sts.eu-west-3.amazonaws.com/"]);
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain("STS AssumeRoleWithWebIdentity (sts.eu-west-3.amazonaws.com): unreachable (ECONNREFUSED)");
  });
});
