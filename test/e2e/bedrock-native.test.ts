/**
 * The Bedrock-native door end to end: the official @aws-sdk/client-bedrock-runtime against the gateway process on
 * each runtime, configured as a tool configures it (the gateway as `endpoint`, a gateway key as its Bearer token),
 * with the simulator as Bedrock. Nothing reaches an AWS address: every client has an explicit endpoint and region,
 * no client that sends a Bearer token has AWS credentials, and instance metadata is off.
 */
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type Message,
  ResourceNotFoundException,
  type Tool,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, revokeKey } from "../../src/db/keys";
import { costMicros, type Price } from "../../src/usage/cost";
import { createTestKey, e2e, simRequests, simStats, type TestKey, type UsageEvent, usageFor, withDb } from "../support/e2e";

process.env.AWS_EC2_METADATA_DISABLED = "true";

const HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const utf8 = new TextDecoder();
const user = (text: string): Message => ({ role: "user", content: [{ text }] });
const anthropicBody = (text: string) =>
  JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 200, messages: [{ role: "user", content: text }] });
const WEATHER: Tool = {
  toolSpec: {
    name: "get_weather",
    description: "Weather for a city",
    inputSchema: { json: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
  },
};

/**
 * The Node and Bun gateways serve HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one port, so there the SDK
 * keeps its default handler, NodeHttp2Handler, as it would against Bedrock. workerd (wrangler dev) serves HTTP/1.1
 * only, and an HTTP/2 client with prior knowledge cannot talk to it: there the SDK gets NodeHttpHandler.
 */
const speaksH2 = /^e2e-(node(-pglite)?|bun)$/.test(e2e().runtime);

/** Which kind of body each raw response had: ClientHttp2Stream (HTTP/2) or IncomingMessage (HTTP/1.1). */
const transports: string[] = [];

function bedrock(config: BedrockRuntimeClientConfig = {}): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    endpoint: `${e2e().gatewayURL}/bedrock`,
    region: "us-east-1",
    maxAttempts: 1,
    ...(speaksH2 ? {} : { requestHandler: new NodeHttpHandler() }),
    ...config,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const body = (out.response as { body?: object }).body;
      transports.push(body?.constructor.name ?? "none");
      return out;
    },
    { step: "finalizeRequest", name: "recordTransport" },
  );
  return client;
}

/** The SDK's Bearer-token auth (smithy.api#httpBearerAuth), as AWS_BEARER_TOKEN_BEDROCK would select it. */
const withKey = (key: string) => bedrock({ token: { token: key }, authSchemePreference: ["httpBearerAuth"] });

const settled = (rows: UsageEvent[]) => rows.map((r) => ({ endpoint: r.endpoint, status: r.status, stream: r.stream }));

/** The row's cost is its tokens at the prices it records, and not nothing. */
function expectPriced(row: UsageEvent, tokens: { inputTokens: number; outputTokens: number }): void {
  expect(row).toMatchObject({ status: "ok", estimated: false, costKnown: true, ...tokens });
  expect(row.price).not.toBeNull();
  const cost = costMicros({ ...tokens, cacheReadTokens: 0, cacheWriteTokens: 0 }, { price: row.price as Price });
  expect(cost).toBeGreaterThan(0);
  expect(Number(row.costMicros)).toBe(cost);
}

/**
 * Model calls the simulator got since its request counter read `before` (its log keeps only the last 200 requests,
 * so the counter says how many of the newest are new); control-plane calls (the model list) are left out.
 */
async function simCallsSince(before: number): Promise<Awaited<ReturnType<typeof simRequests>>> {
  const n = (await simStats()).requests - before;
  return n > 0 ? (await simRequests()).slice(-n).filter((r) => r.modelId) : [];
}

async function drainStream<T>(events: AsyncIterable<T> | undefined, onEvent: (e: T) => void): Promise<void> {
  for await (const e of events ?? []) onEvent(e);
}

describe(`bedrock-native door (${e2e().runtime})`, () => {
  let key: TestKey;
  beforeAll(async () => void (key = await createTestKey("bedrock-native")));
  afterAll(async () => key.revoke());

  it("answers Converse through the SDK's default transport and records one priced usage row", async () => {
    const local = await createTestKey("bedrock-converse");
    const client = withKey(local.key);
    const out = await client.send(new ConverseCommand({ modelId: "claude-haiku-4-5", messages: [user("Hello gateway")], inferenceConfig: { maxTokens: 64 } }));
    client.destroy();
    expect(out.output?.message?.content?.[0]?.text).toContain("Hello gateway");
    expect(out.stopReason).toBe("end_turn");
    expect(transports.at(-1)).toBe(speaksH2 ? "ClientHttp2Stream" : "IncomingMessage");
    if (speaksH2) expect(client.config.requestHandler).toBeInstanceOf(NodeHttp2Handler);

    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "bedrock.converse", model: "claude-haiku-4-5", bedrockModelId: HAIKU, stream: false });
    expect(rows[0]!.requestId).toBe(out.$metadata.requestId);
    expectPriced(rows[0]!, { inputTokens: out.usage!.inputTokens!, outputTokens: out.usage!.outputTokens! });
    await local.revoke();
  });

  it("streams ConverseStream: a tool call, then the answer to its result, each with its usage row", async () => {
    const local = await createTestKey("bedrock-stream");
    const client = withKey(local.key);
    const ask = user("What is the weather in Paris? get_weather");
    const first = await client.send(new ConverseStreamCommand({ modelId: "claude-haiku-4-5", messages: [ask], toolConfig: { tools: [WEATHER] } }));
    let toolUseId = "";
    let name = "";
    let input = "";
    let stop: string | undefined;
    const usages: { inputTokens: number; outputTokens: number }[] = [];
    const onMetadata = (u: { inputTokens?: number; outputTokens?: number } | undefined) =>
      usages.push({ inputTokens: u?.inputTokens ?? -1, outputTokens: u?.outputTokens ?? -1 });
    await drainStream(first.stream, (e) => {
      if (e.contentBlockStart?.start?.toolUse) ({ toolUseId = "", name = "" } = e.contentBlockStart.start.toolUse);
      input += e.contentBlockDelta?.delta?.toolUse?.input ?? "";
      if (e.messageStop) stop = e.messageStop.stopReason;
      if (e.metadata) onMetadata(e.metadata.usage);
    });
    expect(stop).toBe("tool_use");
    expect(name).toBe("get_weather");
    expect(toolUseId).toMatch(/.+/);
    expect(JSON.parse(input)).toEqual({ city: "sample" });

    const second = await client.send(
      new ConverseStreamCommand({
        modelId: "claude-haiku-4-5",
        toolConfig: { tools: [WEATHER] },
        messages: [
          ask,
          { role: "assistant", content: [{ toolUse: { toolUseId, name, input: JSON.parse(input) } }] },
          { role: "user", content: [{ toolResult: { toolUseId, content: [{ text: "18C" }] } }] },
        ],
      }),
    );
    let text = "";
    await drainStream(second.stream, (e) => {
      text += e.contentBlockDelta?.delta?.text ?? "";
      if (e.messageStop) stop = e.messageStop.stopReason;
      if (e.metadata) onMetadata(e.metadata.usage);
    });
    client.destroy();
    expect(text).toBe(`Tool results: ${toolUseId} => 18C`);
    expect(stop).toBe("end_turn");
    expect(transports.at(-1)).toBe(speaksH2 ? "ClientHttp2Stream" : "IncomingMessage");

    const rows = await usageFor(local.id, 2);
    expect(settled(rows)).toEqual([
      { endpoint: "bedrock.converse-stream", status: "ok", stream: true },
      { endpoint: "bedrock.converse-stream", status: "ok", stream: true },
    ]);
    const byStop = (s: string) => rows.find((r) => r.stopReason === s)!;
    expectPriced(byStop("tool_use"), usages[0]!);
    expectPriced(byStop("end_turn"), usages[1]!);
    await local.revoke();
  });

  it("relays InvokeModel with an Anthropic body on a Claude model, usage from Bedrock's token-count headers", async () => {
    const local = await createTestKey("bedrock-invoke");
    const client = withKey(local.key);
    const res = await client.send(new InvokeModelCommand({ modelId: HAIKU, contentType: "application/json", body: anthropicBody("Hello gateway") }));
    client.destroy();
    const out = JSON.parse(utf8.decode(res.body)) as { type: string; content: { text: string }[]; usage: { input_tokens: number; output_tokens: number } };
    expect(out.type).toBe("message");
    expect(out.content[0]!.text).toContain("Hello gateway");
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "bedrock.invoke", bedrockModelId: HAIKU, stream: false });
    expectPriced(rows[0]!, { inputTokens: out.usage.input_tokens, outputTokens: out.usage.output_tokens });
    await local.revoke();
  });

  it("streams InvokeModelWithResponseStream with Anthropic's events, usage from amazon-bedrock-invocationMetrics", async () => {
    const local = await createTestKey("bedrock-invoke-stream");
    const client = withKey(local.key);
    const res = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: "claude-haiku-4-5", contentType: "application/json", body: anthropicBody("Stream this please") }),
    );
    const events: Record<string, unknown>[] = [];
    await drainStream(res.body, (e) => {
      if (e.chunk?.bytes) events.push(JSON.parse(utf8.decode(e.chunk.bytes)));
    });
    client.destroy();
    expect(events[0]).toMatchObject({ type: "message_start" });
    expect(events.map((e) => (e.delta as { text?: string } | undefined)?.text ?? "").join("")).toContain("Stream this please");
    const metrics = events.at(-1)!["amazon-bedrock-invocationMetrics"] as { inputTokenCount: number; outputTokenCount: number };
    const rows = await usageFor(local.id, 1);
    expect(settled(rows)).toEqual([{ endpoint: "bedrock.invoke-with-response-stream", status: "ok", stream: true }]);
    expect(rows[0]!.bedrockModelId).toBe(HAIKU);
    expectPriced(rows[0]!, { inputTokens: metrics.inputTokenCount, outputTokens: metrics.outputTokenCount });
    await local.revoke();
  });

  it("counts tokens with CountTokens, on the model's foundation id, in a row that costs nothing", async () => {
    const local = await createTestKey("bedrock-count");
    const client = withKey(local.key);
    const body = new TextEncoder().encode(anthropicBody("How many tokens is this?"));
    const out = await client.send(new CountTokensCommand({ modelId: "claude-haiku-4-5", input: { invokeModel: { body } } }));
    client.destroy();
    expect(out.inputTokens).toBeGreaterThan(0);
    expect((await simRequests()).at(-1)).toMatchObject({ operation: "CountTokens", modelId: "anthropic.claude-haiku-4-5-20251001-v1:0" });
    const rows = await usageFor(local.id, 1);
    expect(settled(rows)).toEqual([{ endpoint: "bedrock.count-tokens", status: "ok", stream: false }]);
    expect(rows[0]).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    expect(Number(rows[0]!.costMicros)).toBe(0);
    await local.revoke();
  });

  it("takes the key from AWS_BEARER_TOKEN_BEDROCK, as the SDK does with no token configured", async () => {
    process.env.AWS_BEARER_TOKEN_BEDROCK = key.key;
    try {
      const client = bedrock();
      const out = await client.send(new ConverseCommand({ modelId: "claude-haiku-4-5", messages: [user("Hello gateway")] }));
      client.destroy();
      expect(out.stopReason).toBe("end_turn");
    } finally {
      delete process.env.AWS_BEARER_TOKEN_BEDROCK;
    }
  });

  it("keeps a key limited to one model from another, however the SDK names it, on every operation", async () => {
    const limited = await withDb((db) =>
      createKey(
        db,
        { user: `bedrock-limited-${Math.random().toString(36).slice(2, 10)}@test.local`, name: "limited", actor: "test", allowedModels: ["claude-haiku-4-5"] },
        { now: () => Date.now() },
      ),
    );
    const client = withKey(limited.key);
    const allowed = ["claude-haiku-4-5", HAIKU, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${HAIKU}`];
    for (const modelId of allowed) {
      const out = await client.send(new ConverseCommand({ modelId, messages: [user("hi")] }));
      expect(out.stopReason, modelId).toBe("end_turn");
    }

    const before = (await simStats()).requests;
    const refused = [
      "claude-sonnet-4-5",
      SONNET,
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
      `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${SONNET}`,
      "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    ];
    const expectRefused = (err: unknown, what: string) => {
      expect(err, what).toBeInstanceOf(ResourceNotFoundException);
      expect((err as ResourceNotFoundException).$metadata.httpStatusCode, what).toBe(404);
    };
    for (const modelId of refused) {
      expectRefused(await client.send(new ConverseCommand({ modelId, messages: [user("hi")] })).catch((e) => e), `converse ${modelId}`);
    }
    const body = new TextEncoder().encode(anthropicBody("hi"));
    const others = [
      new ConverseStreamCommand({ modelId: SONNET, messages: [user("hi")] }),
      new InvokeModelCommand({ modelId: SONNET, contentType: "application/json", body }),
      new InvokeModelWithResponseStreamCommand({ modelId: SONNET, contentType: "application/json", body }),
      new CountTokensCommand({ modelId: SONNET, input: { invokeModel: { body } } }),
    ];
    for (const command of others) expectRefused(await client.send(command as never).catch((e) => e), command.constructor.name);
    client.destroy();

    // The path as a client other than the SDK may spell it: encoded once it is the same id, encoded again it is refused.
    const post = (segment: string) =>
      fetch(`${e2e().gatewayURL}/bedrock/model/${segment}/converse`, {
        method: "POST",
        headers: { authorization: `Bearer ${limited.key}`, "content-type": "application/json" },
        body: JSON.stringify({ messages: [user("hi")] }),
      });
    const once = await post(encodeURIComponent(`arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0`));
    expect(once.status).toBe(404);
    expect(once.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    for (const segment of [encodeURIComponent(encodeURIComponent(SONNET)), `${encodeURIComponent("claude-haiku-4-5")}%2F..%2Fclaude-sonnet-4-5`]) {
      const res = await post(segment);
      expect(res.status, segment).toBe(400);
      expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException");
      expect(((await res.json()) as { message: string }).message).toMatch(/model identifier is invalid/);
    }
    expect((await post(encodeURIComponent(HAIKU))).status).toBe(200);

    const sent = await simCallsSince(before);
    expect(sent.map((r) => r.modelId)).toEqual([HAIKU]);
    const rows = await usageFor(limited.id, allowed.length + refused.length + others.length + 4);
    expect(rows.filter((r) => r.status === "ok").map((r) => r.bedrockModelId)).toEqual([...allowed.map(() => HAIKU), HAIKU]);
    expect(rows.some((r) => r.bedrockModelId === SONNET)).toBe(false);
    await withDb((db) => revokeKey(db, limited.id, { now: () => Date.now() }));
  });

  it("answers an unknown key with UnrecognizedClientException, telling to send a gateway key as a Bearer token", async () => {
    const before = (await simStats()).requests;
    for (const token of ["bgw_live_0000000000000000000000000000000000000000", "not-a-gateway-key"]) {
      const client = withKey(token);
      const err = await client.send(new ConverseCommand({ modelId: "claude-haiku-4-5", messages: [user("hi")] })).catch((e) => e);
      client.destroy();
      expect(err.name).toBe("UnrecognizedClientException");
      expect(err.$metadata.httpStatusCode).toBe(403);
      expect(err.$fault).toBe("client");
      expect(err.message).toMatch(/gateway key as a Bearer token/);
      expect(err.message).toContain("AWS_BEARER_TOKEN_BEDROCK");
    }
    expect(await simCallsSince(before)).toEqual([]);
  });

  it("refuses a request the SDK signed with SigV4, and says to use a gateway key instead", async () => {
    const before = (await simStats()).requests;
    // The SDK's default auth with static (dummy) AWS credentials: SigV4, sent to the gateway only.
    const client = bedrock({ credentials: { accessKeyId: "AKIAEXAMPLEDUMMY0000", secretAccessKey: "dummy-secret-for-the-gateway-test" } });
    const err = await client.send(new ConverseCommand({ modelId: "claude-haiku-4-5", messages: [user("hi")] })).catch((e) => e);
    client.destroy();
    expect(err.name).toBe("UnrecognizedClientException");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toMatch(/SigV4/);
    expect(err.message).toMatch(/gateway key as a Bearer token/);
    expect(await simCallsSince(before)).toEqual([]);
  });
});
