/**
 * The Bedrock-native door's integration harness: the app in-process, served on a loopback port so the official
 * AWS SDK can reach it, on a real database, with the simulator as Bedrock. No AWS address is ever used: the SDK's
 * endpoint is the gateway, its credentials a gateway key as a Bearer token, and instance metadata is off.
 */
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { serve, type ServerType } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import type { Db } from "../../../src/db/client";
import { createKey, type NewKeyInput } from "../../../src/db/keys";
import { usageEvents } from "../../../src/db/schema";
import { systemClock } from "../../../src/deps";
import { acceptH2c } from "../../../src/runtimes/node/h2c";
import { randomEmail } from "../../support/db";
import { createHarness } from "../faults/app-harness";

process.env.AWS_EC2_METADATA_DISABLED = "true";

export type DoorHarness = Awaited<ReturnType<typeof startDoor>>;

export async function startDoor(db: Db, simUrl: string, env: Record<string, string> = {}, upstreamFetch?: typeof fetch) {
  const h = createHarness({ db, bedrockUrl: simUrl, env, fetch: upstreamFetch });
  let h2: ReturnType<typeof acceptH2c> | undefined;
  // HTTP/1.1 and h2c on one port, as the Node runtime serves them (src/runtimes/node/serve.ts).
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    h2 = acceptH2c(s as Server, h.app.fetch);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...h,
    url,
    /** HTTP/2 sessions open now (to tell which protocol a client spoke). */
    h2Sessions: () => h2!.sessions.size,
    /** What the Node runtime's drain does to HTTP/2 sessions: GOAWAY, open streams finish. */
    h2GoAway: () => h2!.close(),
    close: () => {
      h2!.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
    newKey: (input: Partial<NewKeyInput> = {}) => createKey(db, { user: randomEmail("bedrock"), actor: "test", ...input }, systemClock),
    /**
     * The SDK as a tool would configure it: the gateway as endpoint, the gateway key as a Bearer token. `http1:
     * false` keeps the SDK's default handler, which speaks HTTP/2 (NodeHttp2Handler).
     */
    client(key: string, opts: { http1?: boolean; endpoint?: string } = {}) {
      return new BedrockRuntimeClient({
        endpoint: opts.endpoint ?? `${url}/bedrock`,
        region: "us-east-1",
        token: { token: key },
        authSchemePreference: ["httpBearerAuth"],
        maxAttempts: 1,
        ...(opts.http1 === false ? {} : { requestHandler: new NodeHttpHandler() }),
      });
    },
    async rows(keyId: string) {
      await h.settle();
      return db.select().from(usageEvents).where(eq(usageEvents.keyId, keyId));
    },
  };
}
