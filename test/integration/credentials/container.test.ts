import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { answer, captureLogger, HOUR, isolatedEnv, json, provider, startFake } from "./fakes";

const ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-gateway-task";
const taskCredentials = (id: string, expiration = Date.now() + 6 * HOUR) =>
  json(answer("ecs-task-credentials.json", { accessKeyId: id, secretAccessKey: `${id}-secret`, token: `${id}-token`, expiration, roleArn: ROLE_ARN }));

describe("container credentials (ECS task roles, EKS Pod Identity)", () => {
  it("ECS: reads AWS_CONTAINER_CREDENTIALS_RELATIVE_URI from the agent's host", async () => {
    const agent = await startFake((req) => (req.url === "/v2/credentials/4f3c-task" ? taskCredentials("ASIATASK") : { status: 404 }));
    const p = provider(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/4f3c-task" }), { ecsHost: agent.url });
    const found = await p.announce();
    expect(await p()).toEqual({ accessKeyId: "ASIATASK", secretAccessKey: "ASIATASK-secret", sessionToken: "ASIATASK-token", expiration: expect.any(Number) });
    expect(found).toMatchObject({ source: "container", identity: { roleArn: ROLE_ARN, endpoint: agent.url } });
    expect(agent.seen[0]!.headers.authorization).toBeUndefined();
  });

  it("EKS Pod Identity: sends the token file's contents, read again on every refresh", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bgw-pod-identity-"));
    const tokenFile = path.join(dir, "eks-pod-identity-token");
    writeFileSync(tokenFile, "eyJhbGciOiJSUzI1NiJ9.first.sig\n");
    let now = Date.now();
    const agent = await startFake((req, n) =>
      req.headers.authorization?.startsWith("eyJ")
        ? taskCredentials(`ASIAPOD${n}`, now + 30 * 60_000)
        : json('{"code":"AccessDenied","message":"bad token"}', 401),
    );
    const p = provider(
      isolatedEnv({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "ignored-when-the-file-is-set",
      }),
      { clock: () => now },
    );
    expect((await p()).accessKeyId).toBe("ASIAPOD0");
    writeFileSync(tokenFile, "eyJhbGciOiJSUzI1NiJ9.rotated.sig");
    now += 26 * 60_000; // inside the five minutes before expiry
    await p();
    await expect.poll(async () => (await p()).accessKeyId).toBe("ASIAPOD1");
    expect(agent.seen.map((r) => r.headers.authorization)).toEqual(["eyJhbGciOiJSUzI1NiJ9.first.sig", "eyJhbGciOiJSUzI1NiJ9.rotated.sig"]);
    expect(agent.seen[0]!.url).toBe("/v1/credentials");
  });

  it("sends AWS_CONTAINER_AUTHORIZATION_TOKEN when there is no token file", async () => {
    const agent = await startFake((req) => (req.headers.authorization === "Basic c2VjcmV0" ? taskCredentials("ASIATOKEN") : { status: 401 }));
    const p = provider(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: "Basic c2VjcmV0" }));
    expect((await p()).accessKeyId).toBe("ASIATOKEN");
  });

  it("retries a 500 once, then reports the agent's error code", async () => {
    const agent = await startFake(() => json('{"code":"InternalServerError","message":"credentials not yet available for task"}', 500));
    const logs = captureLogger();
    const p = provider(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/creds` }), { logger: logs.logger });
    expect(await p.announce()).toBeNull();
    expect(agent.seen).toHaveLength(2);
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        tried: expect.arrayContaining([`container credentials at ${agent.url} answered 500: InternalServerError: credentials not yet available for task`]),
      }),
    ]);
  });

  it("recovers once the agent answers", async () => {
    let now = Date.now();
    const agent = await startFake((_req, n) => (n < 2 ? { status: 500 } : taskCredentials("ASIALATE")));
    const p = provider(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/creds` }), { clock: () => now });
    expect((await p()).accessKeyId).toBe("");
    now += 1000; // past the first backoff
    expect((await p()).accessKeyId).toBe("ASIALATE");
  });

  it.each(["http://creds.example.com/role", "http://10.1.2.3/creds"])("refuses plain http to %s without sending anything", async (url) => {
    const logs = captureLogger();
    const p = provider(isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: "secret-token" }), { logger: logs.logger });
    expect(await p.announce()).toBeNull();
    expect(logs.text()).toContain("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback");
    expect(logs.text()).not.toContain("secret-token");
  });

  it("does not fall through to instance metadata when the container endpoint fails", async () => {
    const agent = await startFake(() => ({ status: 503 }));
    const metadata = await startFake(() => ({ status: 200, body: "token" }));
    const p = provider(
      isolatedEnv({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/creds`,
        AWS_EC2_METADATA_DISABLED: undefined,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.url,
      }),
    );
    expect(await p.announce()).toBeNull();
    expect(metadata.seen).toEqual([]);
  });
});
