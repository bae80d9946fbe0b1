import { describe, expect, it } from "vitest";
import { EXPIRY_MARGIN_MS, REFRESH_BEFORE_MS } from "../../../src/runtimes/node/credentials";
import { answer, captureLogger, isolatedEnv, json, MINUTE, provider, startFake, type Reply } from "./fakes";

const NONE = { accessKeyId: "", secretAccessKey: "" };

/** A container credentials endpoint whose n-th answer `reply` decides; expiries follow the test's clock. */
async function agent(reply: (n: number) => Reply | Promise<Reply>) {
  const fake = await startFake((_req, n) => reply(n));
  return { fake, env: isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fake.url}/creds` }) };
}
const creds = (id: string, expiration: number) =>
  json(answer("ecs-task-credentials.json", { accessKeyId: id, secretAccessKey: `${id}-secret`, token: `${id}-token`, expiration }));

describe("refreshing temporary credentials", () => {
  it("refreshes in the background five minutes before expiry, serving the current ones meanwhile", async () => {
    let now = 1_700_000_000_000;
    const { fake, env } = await agent((n) => creds(`ASIA${n}`, now + 10 * MINUTE));
    const p = provider(env, { clock: () => now });
    expect((await p()).accessKeyId).toBe("ASIA0");
    now += 10 * MINUTE - REFRESH_BEFORE_MS - 1000; // 5 min 1 s before expiry
    expect((await p()).accessKeyId).toBe("ASIA0");
    expect(fake.seen).toHaveLength(1);
    now += 2000; // inside the window
    expect((await p()).accessKeyId).toBe("ASIA0");
    await expect.poll(async () => (await p()).accessKeyId).toBe("ASIA1");
    expect(fake.seen).toHaveLength(2);
  });

  it("makes one lookup at a time: concurrent callers share it, at start and in the refresh window", async () => {
    let now = 1_700_000_000_000;
    const { fake, env } = await agent(async (n) => {
      await new Promise((r) => setTimeout(r, 150));
      return creds(`ASIA${n}`, now + 10 * MINUTE);
    });
    const p = provider(env, { clock: () => now });
    const first = await Promise.all(Array.from({ length: 25 }, () => p()));
    expect(new Set(first.map((c) => c.accessKeyId))).toEqual(new Set(["ASIA0"]));
    expect(fake.seen).toHaveLength(1);
    now += 6 * MINUTE;
    const during = await Promise.all(Array.from({ length: 25 }, () => p()));
    expect(new Set(during.map((c) => c.accessKeyId))).toEqual(new Set(["ASIA0"]));
    await expect.poll(async () => (await p()).accessKeyId).toBe("ASIA1");
    expect(fake.seen).toHaveLength(2);
  });

  it("keeps signing with the current credentials while refreshes fail, and stops before they expire", async () => {
    let now = 1_700_000_000_000;
    const expiry = now + 10 * MINUTE;
    const { fake, env } = await agent((n) => (n === 0 ? creds("ASIAOLD", expiry) : { status: 500 }));
    const logs = captureLogger();
    const p = provider(env, { clock: () => now, logger: logs.logger });
    await p.announce();
    now += 6 * MINUTE;
    expect((await p()).accessKeyId).toBe("ASIAOLD");
    await expect.poll(() => fake.seen.length).toBe(3); // the refresh and its one retry
    expect((await p()).accessKeyId).toBe("ASIAOLD");
    now = expiry - EXPIRY_MARGIN_MS + 1; // about to expire: no longer signs
    expect(await p()).toEqual(NONE);
    now = expiry + MINUTE;
    expect(await p()).toEqual(NONE);
    const levels = logs.lines.map((l) => `${l.level} ${l.msg}`);
    expect(levels[0]).toBe("info aws credentials");
    expect(levels).toContain("warn aws credential refresh failed; signing with the current credentials until they expire");
    expect(levels.at(-1)).toBe("error aws credentials unavailable; Bedrock calls fail until a source answers");
  });

  it("backs off after a failed lookup instead of asking on every request", async () => {
    let now = 1_700_000_000_000;
    const { fake, env } = await agent(() => ({ status: 500 }));
    const p = provider(env, { clock: () => now });
    expect(await p()).toEqual(NONE);
    expect(fake.seen).toHaveLength(2);
    expect(await p()).toEqual(NONE);
    now += 500;
    expect(await p()).toEqual(NONE);
    expect(fake.seen).toHaveLength(2);
    now += 500; // 1 s after the first failure
    expect(await p()).toEqual(NONE);
    expect(fake.seen).toHaveLength(4);
    now += 1000; // the second backoff is 2 s
    expect(await p()).toEqual(NONE);
    expect(fake.seen).toHaveLength(4);
  });

  it("refuses credentials that arrive already expired", async () => {
    const now = 1_700_000_000_000;
    const { env } = await agent(() => creds("ASIASTALE", now - MINUTE));
    const logs = captureLogger();
    const p = provider(env, { clock: () => now, logger: logs.logger });
    expect(await p.announce()).toBeNull();
    expect(await p()).toEqual(NONE);
    expect(JSON.stringify(logs.lines[0])).toContain(`the credentials it gave expire at ${new Date(now - MINUTE).toISOString()}`);
  });
});

describe("the start-up line", () => {
  it("names the source and the role, never a secret", async () => {
    const now = Date.now();
    const { fake, env } = await agent(() =>
      json(
        answer("ecs-task-credentials.json", {
          accessKeyId: "ASIASTART",
          secretAccessKey: "start-secret-key",
          token: "start-session-token",
          expiration: now + 60 * MINUTE,
          roleArn: "arn:aws:iam::123456789012:role/gw-task",
        }),
      ),
    );
    const logs = captureLogger();
    await provider({ ...env, AWS_CONTAINER_AUTHORIZATION_TOKEN: "agent-auth-token" }, { logger: logs.logger }).announce();
    expect(logs.lines).toEqual([
      {
        level: "info",
        time: expect.any(String),
        msg: "aws credentials",
        source: "container",
        endpoint: fake.url,
        roleArn: "arn:aws:iam::123456789012:role/gw-task",
        expiresAt: new Date(now + 60 * MINUTE).toISOString(),
      },
    ]);
    for (const secret of ["start-secret-key", "start-session-token", "agent-auth-token"]) expect(logs.text()).not.toContain(secret);
  });

  it("says environment for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", async () => {
    const logs = captureLogger();
    const keys = { AWS_ACCESS_KEY_ID: "AKIAENVIRONMENT00001", AWS_SECRET_ACCESS_KEY: "env-secret" };
    const p = provider(isolatedEnv(keys), { logger: logs.logger, config: keys });
    await p.announce();
    expect(await p()).toEqual({ accessKeyId: "AKIAENVIRONMENT00001", secretAccessKey: "env-secret", sessionToken: undefined });
    expect(logs.lines).toEqual([{ level: "info", time: expect.any(String), msg: "aws credentials", source: "environment" }]);
  });

  it("lists every source it tried when none gave credentials", async () => {
    const logs = captureLogger();
    await provider(isolatedEnv({ AWS_ACCESS_KEY_ID: "AKIAONLYHALF" }), { logger: logs.logger }).announce();
    expect(logs.lines).toEqual([
      {
        level: "warn",
        time: expect.any(String),
        msg: "no usable AWS credentials; Bedrock calls fail until a source provides them",
        tried: [
          "environment: only AWS_ACCESS_KEY_ID is set",
          "profile default: no /nonexistent/aws/credentials or /nonexistent/aws/config",
          "web-identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set",
          "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/AWS_CONTAINER_CREDENTIALS_FULL_URI not set",
          "instance-metadata: disabled by AWS_EC2_METADATA_DISABLED",
        ],
      },
    ]);
  });
});
