import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { silentLogger } from "../../src/logger";
import { createCredentialsProvider } from "../../src/runtimes/node/credentials";

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A container credentials endpoint (as ECS and EKS Pod Identity serve) on loopback. */
async function endpoint(handler: (n: number, auth: string | undefined) => { status: number; body?: unknown }) {
  let n = 0;
  server = createServer((req, res) => {
    const r = handler(n++, req.headers.authorization);
    res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body ?? {}));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const a = server.address() as { port: number };
  return `http://127.0.0.1:${a.port}/creds`;
}

const config = parseConfig({});
const creds = (id: string, expiresInMs: number, now: number) => ({
  AccessKeyId: id,
  SecretAccessKey: "s",
  Token: "t",
  Expiration: new Date(now + expiresInMs).toISOString(),
});

describe("AWS credentials chain", () => {
  it("prefers static environment credentials", async () => {
    const p = createCredentialsProvider(parseConfig({ AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "x" }), {}, silentLogger);
    expect(await p()).toMatchObject({ accessKeyId: "AKIA1" });
  });

  it("loads container credentials with the authorization token and refreshes them before expiry", async () => {
    let now = 1_000_000;
    const url = await endpoint((n, auth) => (auth === "secret-token" ? { status: 200, body: creds(`AKIA${n}`, 10 * 60_000, now) } : { status: 401 }));
    const p = createCredentialsProvider(
      config,
      { AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: "secret-token", AWS_EC2_METADATA_DISABLED: "true" },
      silentLogger,
      () => now,
    );
    expect((await p()).accessKeyId).toBe("AKIA0");
    expect((await p()).accessKeyId).toBe("AKIA0");
    now += 6 * 60_000; // within 5 minutes of expiry
    expect((await p()).accessKeyId).toBe("AKIA1");
  });

  it("keeps serving current credentials while the endpoint is down, but never expired ones", async () => {
    let now = 1_000_000;
    const url = await endpoint((n) => (n === 0 ? { status: 200, body: creds("AKIAOLD", 10 * 60_000, now) } : { status: 500 }));
    const p = createCredentialsProvider(config, { AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_EC2_METADATA_DISABLED: "true" }, silentLogger, () => now);
    expect((await p()).accessKeyId).toBe("AKIAOLD");
    now += 7 * 60_000; // refresh due, endpoint failing, not yet expired
    expect((await p()).accessKeyId).toBe("AKIAOLD");
    now += 4 * 60_000; // expired
    expect((await p()).accessKeyId).toBe("");
  });
});
