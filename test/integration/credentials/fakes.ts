/**
 * Local stand-ins for the AWS credential endpoints (instance metadata, the ECS/EKS container agents, STS) on
 * 127.0.0.1, answering with AWS's documented bodies (test/fixtures/credentials). Every test's environment points
 * IMDS, STS and the shared files at fakes or turns them off, so nothing reaches a real AWS address.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterEach } from "vitest";
import { parseConfig } from "../../../src/config";
import { createLogger, type Logger } from "../../../src/logger";
import { createCredentialsProvider, type ProviderOptions } from "../../../src/runtimes/node/credentials";

export type Seen = { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string };
export type Reply = { status?: number; body?: string; contentType?: string } | "hang";
export type Fake = { url: string; seen: Seen[]; close(): Promise<void> };

const open: Fake[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/** An HTTP server on 127.0.0.1 answering `handler`; "hang" never answers (a black-holed address). */
export async function startFake(handler: (req: Seen, n: number) => Reply | Promise<Reply>): Promise<Fake> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(s);
      const reply = await handler(s, seen.length - 1);
      if (reply === "hang") return;
      res.writeHead(reply.status ?? 200, { "content-type": reply.contentType ?? "text/plain" }).end(reply.body ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  const fake: Fake = {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  open.push(fake);
  return fake;
}

export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/credentials/${name}`, import.meta.url), "utf8");
}

/** A documented body with its example keys and expiry replaced. */
export function answer(name: string, values: { accessKeyId?: string; secretAccessKey?: string; token?: string; expiration?: number; roleArn?: string }) {
  let body = fixture(name);
  const examples: [RegExp, string | undefined][] = [
    [/ASgeIAIOSFODNN7EXAMPLE|ASIAIOSFODNN7EXAMPLE|ACCESS_KEY_ID/g, values.accessKeyId],
    [/wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYz?EXAMPLEKEY|SECRET_ACCESS_KEY/g, values.secretAccessKey],
    [/(?<=<SessionToken>)[\s\S]*?(?=<\/SessionToken>)|SECURITY_TOKEN_STRING/g, values.token],
    [/(?<="Token" : )"token"/g, values.token && `"${values.token}"`],
    [
      /2014-10-24T23:00:23Z|2019-11-09T13:34:41Z|2017-05-17T15:09:54Z|EXPIRATION_DATE/g,
      values.expiration === undefined ? undefined : new Date(values.expiration).toISOString(),
    ],
    [/TASK_ROLE_ARN/g, values.roleArn],
  ];
  for (const [re, v] of examples) if (v !== undefined) body = body.replace(re, v);
  return body;
}

export const xml = (body: string, status = 200): Reply => ({ status, body, contentType: "text/xml" });
export const json = (body: string, status = 200): Reply => ({ status, body, contentType: "application/json" });

/** An environment with every AWS endpoint either on a fake or off: no shared files, no IMDS, STS on a closed port. */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_CONFIG_FILE: "/nonexistent/aws/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws/credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9",
    HOME: "/nonexistent",
    ...extra,
  };
}

/** Log lines kept as parsed JSON, to assert what the gateway says (and that it says no secret). */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; text(): string } {
  const raw: string[] = [];
  return {
    logger: createLogger("debug", (l) => raw.push(l)),
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join("\n"),
  };
}

export function provider(env: Record<string, string | undefined>, opts: ProviderOptions & { logger?: Logger; config?: Record<string, string> } = {}) {
  const { logger, config, ...rest } = opts;
  return createCredentialsProvider(parseConfig(config ?? {}), env, logger ?? createLogger("silent"), rest);
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
