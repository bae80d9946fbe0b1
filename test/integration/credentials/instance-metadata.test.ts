import { describe, expect, it } from "vitest";
import { answer, captureLogger, HOUR, isolatedEnv, json, provider, startFake, type Reply, type Seen } from "./fakes";

const ROLE = "bedrock-gateway-instance";
const TOKEN = "AQAEAIMDSv2-session-token==";

/** IMDSv2 as EC2 serves it: PUT /latest/api/token, then the role list and the role's credentials with the token. */
function imds(opts: { expiration?: () => number; token?: (n: number) => Reply; role?: () => Reply; creds?: (req: Seen) => Reply } = {}) {
  let issued = 0;
  let served = 0;
  return startFake((req) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      if (opts.token) return opts.token(issued++);
      if (req.headers["x-aws-ec2-metadata-token-ttl-seconds"] !== "21600") return { status: 400 };
      return { body: `${TOKEN}${issued++}` };
    }
    if (!String(req.headers["x-aws-ec2-metadata-token"] ?? "").startsWith(TOKEN)) return { status: 401 };
    if (req.method === "GET" && req.url === "/latest/meta-data/iam/security-credentials/") return opts.role?.() ?? { body: ROLE };
    if (req.method === "GET" && req.url === `/latest/meta-data/iam/security-credentials/${ROLE}`) {
      if (opts.creds) return opts.creds(req);
      const expiration = opts.expiration?.() ?? Date.now() + 6 * HOUR;
      return json(answer("imds-security-credentials.json", { accessKeyId: `ASIAIMDS${served++}`, token: "imds-session-token", expiration }));
    }
    return { status: 404 };
  });
}

const imdsEnv = (url: string) => isolatedEnv({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: url });

describe("EC2 instance metadata (IMDSv2)", () => {
  it("takes a session token, then reads the role's credentials with it", async () => {
    const fake = await imds();
    const p = provider(imdsEnv(fake.url));
    const found = await p.announce();
    expect(await p()).toEqual({
      accessKeyId: "ASIAIMDS0",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      sessionToken: "imds-session-token",
      expiration: expect.any(Number),
    });
    expect(found).toMatchObject({ source: "instance-metadata", identity: { role: ROLE, endpoint: fake.url } });
    expect(fake.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PUT /latest/api/token",
      "GET /latest/meta-data/iam/security-credentials/",
      `GET /latest/meta-data/iam/security-credentials/${ROLE}`,
    ]);
    expect(fake.seen[0]!.headers["x-aws-ec2-metadata-token-ttl-seconds"]).toBe("21600");
    for (const get of fake.seen.slice(1)) expect(get.headers["x-aws-ec2-metadata-token"]).toBe(`${TOKEN}0`);
  });

  it.each([403, 404, 405])("never falls back to IMDSv1 when the token request answers %i", async (status) => {
    const fake = await imds({ token: () => ({ status }) });
    const p = provider(imdsEnv(fake.url));
    expect(await p.announce()).toBeNull();
    expect(await p()).toEqual({ accessKeyId: "", secretAccessKey: "" });
    expect(fake.seen.every((r) => r.method === "PUT")).toBe(true);
  });

  it("says the metadata service is off when the token request is refused (403)", async () => {
    const fake = await imds({ token: () => ({ status: 403 }) });
    const logs = captureLogger();
    await provider(imdsEnv(fake.url), { logger: logs.logger }).announce();
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        tried: expect.arrayContaining([`instance metadata at ${fake.url}: token request refused (403): the metadata service is turned off for this instance`]),
      }),
    ]);
  });

  it("fetches a new token once when a read is refused with 401", async () => {
    let rejected = false;
    const fake = await imds({
      creds: (req) => {
        // The first token is refused on the credentials read, as after a token expiry.
        if (req.headers["x-aws-ec2-metadata-token"] === `${TOKEN}0` && !rejected) return ((rejected = true), { status: 401 });
        return json(answer("imds-security-credentials.json", { accessKeyId: "ASIAAFTER401", token: "t", expiration: Date.now() + HOUR }));
      },
    });
    const p = provider(imdsEnv(fake.url));
    expect((await p()).accessKeyId).toBe("ASIAAFTER401");
    expect(fake.seen.filter((r) => r.method === "PUT")).toHaveLength(2);
    expect(fake.seen.at(-1)!.headers["x-aws-ec2-metadata-token"]).toBe(`${TOKEN}1`);
  });

  it("reports an instance without a role", async () => {
    const fake = await imds({ role: () => ({ status: 404, body: '<?xml version="1.0"?><Error>Not Found</Error>' }) });
    const logs = captureLogger();
    expect(await provider(imdsEnv(fake.url), { logger: logs.logger }).announce()).toBeNull();
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain("no IAM role is attached to this instance");
  });

  it("rejects an answer whose Code is not Success", async () => {
    const fake = await imds({
      creds: () => json('{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role","LastUpdated":"2024-01-01T00:00:00Z"}'),
    });
    const logs = captureLogger();
    await provider(imdsEnv(fake.url), { logger: logs.logger }).announce();
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain(`role ${ROLE}: AssumeRoleUnauthorizedAccess: EC2 cannot assume the role`);
  });

  it("gives up on a silent endpoint after 1 s and one retry", async () => {
    const fake = await startFake(() => "hang");
    const p = provider(imdsEnv(fake.url));
    const started = Date.now();
    expect(await p.announce()).toBeNull();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(4000);
    expect(fake.seen.map((r) => r.method)).toEqual(["PUT", "PUT"]);
  });

  it("is not asked when AWS_EC2_METADATA_DISABLED=true", async () => {
    const fake = await imds();
    const p = provider({ ...imdsEnv(fake.url), AWS_EC2_METADATA_DISABLED: "true" });
    expect(await p.announce()).toBeNull();
    expect(fake.seen).toEqual([]);
  });
});
