/**
 * The Bedrock-native door over HTTP/2 (cleartext, prior knowledge), as the AWS SDK for JavaScript v3 speaks to
 * Bedrock by default: the SDK's own NodeHttp2Handler, not an HTTP/1.1 handler, against the same port that still
 * serves HTTP/1.1. Postgres only: the protocol is the subject here, the database is covered elsewhere.
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { connect, constants } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { acceptH2c, matchPreface } from "../../../src/runtimes/node/h2c";
import { openTestPostgres, type TestDb } from "../../support/db";
import { startDoor, type DoorHarness } from "./bedrock-native-harness";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const user = (text: string) => ({ role: "user" as const, content: [{ text }] });
const utf8 = new TextDecoder();

let sim: Simulator;
let t: TestDb;
let door: DoorHarness;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  door = await startDoor(t.db, sim.url);
});
afterAll(async () => {
  await door?.close();
  await t?.close();
  await sim?.close();
});

/** One raw HTTP/2 request with prior knowledge (no upgrade, no TLS), as the SDK's handler makes it. */
function h2Request(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    let status = 0;
    let head: Record<string, unknown> = {};
    const parts: Buffer[] = [];
    req.on("response", (h) => {
      status = Number(h[constants.HTTP2_HEADER_STATUS]);
      head = h;
    });
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      session.close();
      resolve({ status, headers: head, body: Buffer.concat(parts).toString("utf8") });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the HTTP/2 connection preface", () => {
  it.each([
    ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "yes"],
    ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04", "yes"],
    ["PRI * HTTP/2", "maybe"],
    ["P", "maybe"],
    ["POST /bedrock/model/x/converse HTTP/1.1\r\n", "no"],
    ["PRI * HTTP/1.1\r\n", "no"],
    ["GET / HTTP/1.1\r\n", "no"],
  ])("%j → %s", (text, expected) => expect(matchPreface(Buffer.from(text, "latin1"))).toBe(expected));
});

describe("Bedrock-native door over h2c with the SDK's default handler", () => {
  it("serves Converse and InvokeModel to the SDK's HTTP/2 handler", async () => {
    const k = await door.newKey();
    const client = door.client(k.key, { http1: false });
    const out = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("Hello gateway")] }));
    expect(out.output?.message?.content?.[0]?.text).toContain("Hello gateway");
    // The SDK kept its HTTP/2 session open to the gateway: the request went over HTTP/2.
    expect(door.h2Sessions()).toBeGreaterThan(0);
    const res = await client.send(
      new InvokeModelCommand({
        modelId: "titan-embed-text-v2",
        contentType: "application/json",
        body: JSON.stringify({ inputText: "alpha", dimensions: 256 }),
      }),
    );
    expect((JSON.parse(utf8.decode(res.body)) as { embedding: number[] }).embedding).toHaveLength(256);
    client.destroy();
    const rows = await door.rows(k.id);
    expect(rows.map((r) => [r.endpoint, r.status]).sort()).toEqual([
      ["bedrock.converse", "ok"],
      ["bedrock.invoke", "ok"],
    ]);
  });

  it("streams ConverseStream and InvokeModelWithResponseStream over HTTP/2, several at once", async () => {
    const k = await door.newKey();
    const client = door.client(k.key, { http1: false });
    const converse = async (i: number) => {
      const res = await client.send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user(`Stream this please ${i} [sim:delay=5]`)] }));
      let text = "";
      let usage = 0;
      for await (const e of res.stream!) {
        text += e.contentBlockDelta?.delta?.text ?? "";
        usage += e.metadata?.usage?.outputTokens ?? 0;
      }
      return { text, usage };
    };
    const invoke = async () => {
      const res = await client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: "claude-haiku-4-5",
          contentType: "application/json",
          body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 100, messages: [{ role: "user", content: "Hello gateway" }] }),
        }),
      );
      let text = "";
      for await (const e of res.body!) if (e.chunk?.bytes) text += (JSON.parse(utf8.decode(e.chunk.bytes)).delta?.text as string | undefined) ?? "";
      return text;
    };
    const [a, b, c, d] = await Promise.all([converse(1), converse(2), converse(3), invoke()]);
    for (const [i, r] of [a, b, c].entries()) {
      expect(r.text).toContain(`Stream this please ${i + 1}`);
      expect(r.usage).toBeGreaterThan(0);
    }
    expect(d).toContain("Hello gateway");
    client.destroy();
    const rows = await door.rows(k.id);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.status === "ok" && r.stream && !r.estimated)).toBe(true);
  });

  it("raises the SDK's exception classes over HTTP/2, before and during a stream", async () => {
    const k = await door.newKey();
    const client = door.client(k.key, { http1: false });
    const invalid = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("[sim:error=ValidationException]")] })).catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationException);
    const res = await client.send(
      new ConverseStreamCommand({ modelId: "nova-lite", messages: [user("[sim:words=20] [sim:stream-error-after=1:throttlingException]")] }),
    );
    const err = await (async () => {
      for await (const _ of res.stream!);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    const denied = await door
      .client("bgw_live_0000000000000000000000000000000000000000", { http1: false })
      .send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")] }))
      .catch((e) => e);
    expect(denied.name).toBe("UnrecognizedClientException");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    client.destroy();
  });

  it("lets an open stream finish when its session is told to go away (the drain), and the next request opens a new one", async () => {
    const k = await door.newKey();
    const client = door.client(k.key, { http1: false });
    const res = await client.send(new ConverseStreamCommand({ modelId: "nova-lite", messages: [user("[sim:words=40] [sim:delay=10]")] }));
    let deltas = 0;
    let done = false;
    for await (const e of res.stream!) {
      if (e.contentBlockDelta && ++deltas === 1) door.h2GoAway();
      if (e.metadata) done = true;
    }
    expect(deltas).toBeGreaterThan(10);
    expect(done).toBe(true);
    const out = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")] }));
    expect(out.stopReason).toBe("end_turn");
    client.destroy();
    const rows = await door.rows(k.id);
    expect(rows.map((r) => r.status)).toEqual(["ok", "ok"]);
  });

  it("still serves HTTP/1.1 on the same port, and answers raw h2c requests with Bedrock's error headers", async () => {
    const k = await door.newKey();
    const h1 = await fetch(`${door.url}/bedrock/model/nova-lite/converse`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [user("hi")] }),
    });
    expect(h1.status).toBe(200);
    const h2 = await h2Request(door.url, "/bedrock/model/nova-lite/converse", { authorization: `Bearer ${k.key}`, "content-type": "application/json" }, "{bad");
    expect(h2.status).toBe(400);
    expect(h2.headers["x-amzn-errortype"]).toBe("ValidationException");
    expect(JSON.parse(h2.body)).toEqual({ message: expect.stringMatching(/Malformed input request/) });
  });

  it("drops connection-specific headers HTTP/2 forbids (a draining gateway's connection: close)", async () => {
    const server = createServer();
    acceptH2c(server, () => new Response("bye", { status: 503, headers: { connection: "close", "retry-after": "1" } }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await h2Request(url, "/", {}, "");
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.headers.connection).toBeUndefined();
      expect(res.body).toBe("bye");
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("leaves nothing of its sniffing on a connection once it is routed (its first bytes hold a request and its key)", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    acceptH2c(server, () => new Response("h2"));
    const sniffing: { socket: import("node:net").Socket; close: unknown[]; data: unknown[]; error: unknown[] }[] = [];
    // Registered after acceptH2c's own listener: what that one attached is on the socket now.
    server.on("connection", (socket) =>
      sniffing.push({ socket, close: socket.listeners("close"), data: socket.listeners("data"), error: socket.listeners("error") }),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const agent = new (await import("node:http")).Agent({ keepAlive: true });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      for (let i = 0; i < 2; i++) {
        const res = await fetchVia(agent, url);
        expect(res).toBe("ok");
      }
      expect(sniffing).toHaveLength(1);
      const { socket, close, data, error } = sniffing[0]!;
      for (const f of close) expect(socket.listeners("close")).not.toContain(f);
      for (const f of data) expect(socket.listeners("data")).not.toContain(f);
      for (const f of error) expect(socket.listeners("error")).not.toContain(f);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

function fetchVia(agent: import("node:http").Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    import("node:http").then(({ get }) =>
      get(url, { agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve(body));
      }).on("error", reject),
    );
  });
}
