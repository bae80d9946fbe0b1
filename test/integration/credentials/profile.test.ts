import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createVerifier } from "../../../sim/sigv4";
import { answer, captureLogger, fixture, HOUR, isolatedEnv, provider, startFake, xml, type Seen } from "./fakes";

const BASE = { accessKeyId: "AKIABASEPROFILE00001", secretAccessKey: "base/secret+key" };
const ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-gateway";

function files(config: string[], credentials: string[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), "bgw-aws-"));
  writeFileSync(path.join(dir, "config"), config.join("\n"));
  writeFileSync(path.join(dir, "credentials"), credentials.join("\n"));
  return { AWS_CONFIG_FILE: path.join(dir, "config"), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"), dir };
}

/** STS that checks the SigV4 signature (service sts) with an independent verifier, as AWS does, before answering. */
async function signedSts(
  region: string,
  known: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }[],
  reply?: (req: Seen, n: number) => string,
) {
  const verify = createVerifier({ credentials: known, region, service: "sts" });
  return startFake(async (req, n) => {
    try {
      await verify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body: new TextEncoder().encode(req.body) });
    } catch (err) {
      return xml(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>${(err as Error).name}</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
        403,
      );
    }
    return xml(reply ? reply(req, n) : answer("sts-assume-role.xml", { accessKeyId: `ASIAROLE${n}`, expiration: Date.now() + HOUR }));
  });
}

describe("shared config and credentials files", () => {
  it("reads static keys of the default profile from the credentials file", async () => {
    const f = files(
      ["[default]", "region = eu-west-1"],
      ["[default]", `aws_access_key_id = ${BASE.accessKeyId}`, `aws_secret_access_key = ${BASE.secretAccessKey}`],
    );
    const found = await provider(isolatedEnv(f)).announce();
    expect(found).toMatchObject({ source: "profile", credentials: BASE, identity: { profile: "default", via: "static keys" } });
  });

  it("reads AWS_PROFILE from [profile NAME] in the config file, the credentials file winning per key", async () => {
    const f = files(
      ["[profile dev]", "aws_access_key_id = AKIACONFIG", "aws_secret_access_key = from-config"],
      ["[dev]", "aws_secret_access_key = from-credentials"],
    );
    const found = await provider(isolatedEnv({ ...f, AWS_PROFILE: "dev" })).announce();
    expect(found?.credentials).toEqual({ accessKeyId: "AKIACONFIG", secretAccessKey: "from-credentials", sessionToken: undefined });
  });

  it("finds the files under ~/.aws by default", async () => {
    const f = files([], ["[default]", "aws_access_key_id = AKIAHOME", "aws_secret_access_key = s"]);
    const { mkdirSync, renameSync } = await import("node:fs");
    mkdirSync(path.join(f.dir, ".aws"));
    renameSync(f.AWS_SHARED_CREDENTIALS_FILE, path.join(f.dir, ".aws", "credentials"));
    const env = { ...isolatedEnv(), AWS_CONFIG_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: undefined, HOME: f.dir };
    expect((await provider(env).announce())?.credentials.accessKeyId).toBe("AKIAHOME");
  });

  it("role_arn + source_profile: AssumeRole signed with the source profile's keys", async () => {
    const sts = await signedSts("eu-west-1", [BASE]);
    const f = files(
      [
        "[profile gateway]",
        `role_arn = ${ROLE_ARN}`,
        "source_profile = base",
        "external_id = ext-123",
        "role_session_name = gw-1",
        "region = eu-west-1",
        "duration_seconds = 1800",
      ],
      ["[base]", `aws_access_key_id = ${BASE.accessKeyId}`, `aws_secret_access_key = ${BASE.secretAccessKey}`],
    );
    const found = await provider(isolatedEnv({ ...f, AWS_PROFILE: "gateway", AWS_ENDPOINT_URL_STS: sts.url })).announce();
    expect(found).toMatchObject({
      source: "profile",
      credentials: {
        accessKeyId: "ASIAROLE0",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        sessionToken: expect.stringMatching(/^AQoDYXdzEPT\/\/+/),
      },
      identity: {
        profile: "gateway",
        via: "assume-role",
        roleArn: ROLE_ARN,
        sourceProfile: "base",
        assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/demo/TestAR",
      },
    });
    expect(sts.seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIABASEPROFILE00001\/\d{8}\/eu-west-1\/sts\/aws4_request/);
    expect(Object.fromEntries(new URLSearchParams(sts.seen[0]!.body))).toEqual({
      Action: "AssumeRole",
      Version: "2011-06-15",
      RoleArn: ROLE_ARN,
      RoleSessionName: "gw-1",
      ExternalId: "ext-123",
      DurationSeconds: "1800",
    });
  });

  it("chains roles: each AssumeRole is signed with the credentials of the hop before", async () => {
    const hop1 = answer("sts-assume-role.xml", { accessKeyId: "ASIAHOP1", secretAccessKey: "hop1-secret", token: "hop1-token", expiration: Date.now() + HOUR });
    const sts = await signedSts("us-east-1", [BASE, { accessKeyId: "ASIAHOP1", secretAccessKey: "hop1-secret", sessionToken: "hop1-token" }], (_req, n) =>
      n === 0 ? hop1 : answer("sts-assume-role.xml", { accessKeyId: "ASIAHOP2", expiration: Date.now() + HOUR }),
    );
    const f = files(
      [
        "[profile prod]",
        `role_arn = ${ROLE_ARN}`,
        "source_profile = ops",
        "[profile ops]",
        "role_arn = arn:aws:iam::123456789012:role/ops",
        "source_profile = base",
      ],
      ["[base]", `aws_access_key_id = ${BASE.accessKeyId}`, `aws_secret_access_key = ${BASE.secretAccessKey}`],
    );
    const found = await provider(isolatedEnv({ ...f, AWS_PROFILE: "prod", AWS_ENDPOINT_URL_STS: sts.url })).announce();
    expect(found?.credentials.accessKeyId).toBe("ASIAHOP2");
    expect(sts.seen.map((r) => new URLSearchParams(r.body).get("RoleArn"))).toEqual(["arn:aws:iam::123456789012:role/ops", ROLE_ARN]);
    expect(sts.seen[1]!.headers["x-amz-security-token"]).toBe("hop1-token");
  });

  it("credential_source = Environment assumes the role with the environment keys when AWS_PROFILE is set", async () => {
    const sts = await signedSts("us-east-1", [BASE]);
    const f = files(["[profile gateway]", `role_arn = ${ROLE_ARN}`, "credential_source = Environment"]);
    const env = isolatedEnv({
      ...f,
      AWS_PROFILE: "gateway",
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ACCESS_KEY_ID: BASE.accessKeyId,
      AWS_SECRET_ACCESS_KEY: BASE.secretAccessKey,
    });
    const found = await provider(env, { config: { AWS_ACCESS_KEY_ID: BASE.accessKeyId, AWS_SECRET_ACCESS_KEY: BASE.secretAccessKey } }).announce();
    expect(found).toMatchObject({
      source: "profile",
      credentials: { accessKeyId: "ASIAROLE0" },
      identity: { credentialSource: "Environment", note: expect.stringContaining("AWS_PROFILE is set") },
    });
  });

  it("reports STS AccessDenied for the role", async () => {
    const sts = await startFake(() => xml(fixture("sts-error-access-denied.xml"), 403));
    const f = files(
      ["[profile gateway]", `role_arn = ${ROLE_ARN}`, "source_profile = base"],
      ["[base]", "aws_access_key_id = AKIAB", "aws_secret_access_key = s"],
    );
    const logs = captureLogger();
    expect(await provider(isolatedEnv({ ...f, AWS_PROFILE: "gateway", AWS_ENDPOINT_URL_STS: sts.url }), { logger: logs.logger }).announce()).toBeNull();
    expect(sts.seen).toHaveLength(1);
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain(
      `STS AssumeRole (${new URL(sts.url).host}) for ${ROLE_ARN} failed (403): AccessDenied: User: arn:aws:iam::123456789012:user/gateway-source`,
    );
  });

  it.each([
    [
      ["[profile a]", "role_arn = arn:a", "source_profile = b", "[profile b]", "role_arn = arn:b", "source_profile = a"],
      "a",
      /source_profile cycle \(a -> b -> a\)/,
    ],
    [
      ["[profile a]", "role_arn = arn:a", "source_profile = missing"],
      "a",
      /profile missing is not in the shared config or credentials file \(source_profile of a\)/,
    ],
    [["[profile a]", "role_arn = arn:a", "source_profile = b", "mfa_serial = arn:aws:iam::1:mfa/u"], "a", /needs an MFA code/],
    [["[profile a]", "role_arn = arn:a", "credential_source = Ec2Metadata"], "a", /credential_source must be Environment, Ec2InstanceMetadata or EcsContainer/],
    [
      ["[profile a]", "sso_session = corp", "sso_account_id = 123456789012", "sso_role_name = Dev"],
      "a",
      /IAM Identity Center \(SSO\).*credential_process = aws configure export-credentials --profile a --format process/,
    ],
  ])("refuses %j (profile %s) with a reason", async (config, profile, message) => {
    const logs = captureLogger();
    expect(await provider(isolatedEnv({ ...files(config), AWS_PROFILE: profile }), { logger: logs.logger }).announce()).toBeNull();
    expect(JSON.stringify(logs.lines[0]!.tried)).toMatch(message);
  });

  it("credential_process: runs the command and takes its Version 1 JSON with Expiration", async () => {
    const f = files([]);
    const script = path.join(f.dir, "creds.mjs");
    const expiration = new Date(Date.now() + HOUR).toISOString();
    writeFileSync(
      script,
      `console.log(JSON.stringify({ Version: 1, AccessKeyId: "ASIAPROCESS", SecretAccessKey: "p-secret", SessionToken: "p-token", Expiration: ${JSON.stringify(expiration)} }));`,
    );
    writeFileSync(f.AWS_CONFIG_FILE, ["[profile tool]", `credential_process = "${process.execPath}" "${script}" --profile tool`].join("\n"));
    const found = await provider(isolatedEnv({ ...f, AWS_PROFILE: "tool" })).announce();
    expect(found).toEqual({
      source: "profile",
      credentials: { accessKeyId: "ASIAPROCESS", secretAccessKey: "p-secret", sessionToken: "p-token", expiration: Date.parse(expiration) },
      identity: { profile: "tool", via: "credential_process" },
    });
  });

  it("credential_process: reports a failing command with its stderr, never its stdout", async () => {
    const f = files([]);
    const script = path.join(f.dir, "fail.sh");
    writeFileSync(script, '#!/bin/sh\necho \'{"SecretAccessKey":"leaked"}\'\necho "token expired, run login" >&2\nexit 3\n');
    chmodSync(script, 0o755);
    writeFileSync(f.AWS_CONFIG_FILE, ["[default]", `credential_process = ${script}`].join("\n"));
    const logs = captureLogger();
    expect(await provider(isolatedEnv(f), { logger: logs.logger }).announce()).toBeNull();
    expect(JSON.stringify(logs.lines[0]!.tried)).toContain("profile default: credential_process exited with code 3: token expired, run login");
    expect(logs.text()).not.toContain("leaked");
  });

  it("moves on to the next source when the profile does not exist", async () => {
    const f = files(["[default]", "region = us-east-1"]);
    const logs = captureLogger();
    expect(await provider(isolatedEnv({ ...f, AWS_PROFILE: "nope" }), { logger: logs.logger }).announce()).toBeNull();
    expect(logs.lines[0]!.tried).toEqual([
      "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set",
      `profile nope: not found in ${f.AWS_CONFIG_FILE}, ${f.AWS_SHARED_CREDENTIALS_FILE}`,
      "web-identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set",
      "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/AWS_CONTAINER_CREDENTIALS_FULL_URI not set",
      "instance-metadata: disabled by AWS_EC2_METADATA_DISABLED",
    ]);
  });
});
