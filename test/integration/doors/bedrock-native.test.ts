/**
 * The Bedrock-native door in-process, on Postgres and PGlite, with the simulator as Bedrock, driven by the official
 * AWS SDK with a gateway key as its Bearer token: Converse and InvokeModel, their usage rows and cost, model policy
 * on the path (aliases, ids, ARNs, encodings), caller-signed requests, Bedrock's error shape, passthrough policy.
 */
import {
  ConverseCommand,
  InvokeModelCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../../sim/server";
import { staticCatalogue } from "../../../src/models/catalogue";
import { costMicros } from "../../../src/usage/cost";
import { testBackends, type TestDb } from "../../support/db";
import { startDoor, type DoorHarness } from "./bedrock-native-harness";

const NOVA_LITE = "us.amazon.nova-lite-v1:0";
const NOVA_MICRO = "us.amazon.nova-micro-v1:0";
const TITAN_EMBED = "amazon.titan-embed-text-v2:0";
const catalogue = staticCatalogue();
const priceOf = (alias: string) => catalogue.resolve(alias)!.targets[0]!.pricing!;
const user = (text: string) => ({ role: "user" as const, content: [{ text }] });

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
afterAll(async () => sim.close());

describe.each(testBackends)("Bedrock-native door on $name", ({ open }) => {
  let t: TestDb;
  let door: DoorHarness;
  beforeAll(async () => {
    t = await open();
    door = await startDoor(t.db, sim.url);
  });
  afterAll(async () => {
    await door?.close();
    await t?.close();
  });

  const post = (path: string, key: string | null, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${door.url}${path}`, {
      method: "POST",
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("relays Converse for an SDK with a gateway key, and records one usage row with Bedrock's usage and its cost", async () => {
    const k = await door.newKey();
    const out = await door
      .client(k.key)
      .send(new ConverseCommand({ modelId: "nova-lite", messages: [user("Hello gateway")], inferenceConfig: { maxTokens: 64 } }));
    expect(out.output?.message?.content?.[0]?.text).toContain("Hello gateway");
    expect(out.usage?.inputTokens).toBeGreaterThan(0);
    // The alias resolves to its catalogue target, which is what Bedrock is asked for.
    expect(sim.requests().at(-1)).toMatchObject({ modelId: NOVA_LITE, operation: "Converse" });
    expect(out.$metadata.requestId).toMatch(/.+/);

    const rows = await door.rows(k.id);
    expect(rows).toHaveLength(1);
    const u = { inputTokens: out.usage!.inputTokens!, outputTokens: out.usage!.outputTokens!, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(rows[0]).toMatchObject({
      endpoint: "bedrock.converse",
      model: "nova-lite",
      bedrockModelId: NOVA_LITE,
      status: "ok",
      httpStatus: 200,
      stream: false,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      estimated: false,
      stopReason: out.stopReason,
      requestId: out.$metadata.requestId,
      costKnown: true,
    });
    expect(Number(rows[0]!.costMicros)).toBe(costMicros(u, priceOf("nova-lite")));
    expect(Number(rows[0]!.costMicros)).toBeGreaterThan(0);
  });

  it("accepts Bedrock's own ids and ARNs, percent-encoded as the SDK sends them", async () => {
    const k = await door.newKey();
    const client = door.client(k.key);
    for (const modelId of [NOVA_LITE, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${NOVA_LITE}`]) {
      const out = await client.send(new ConverseCommand({ modelId, messages: [user("hi")] }));
      expect(out.stopReason).toBe("end_turn");
      expect(sim.requests().at(-1)!.modelId).toBe(NOVA_LITE);
    }
    const rows = await door.rows(k.id);
    expect(rows.map((r) => [r.model, r.bedrockModelId])).toEqual([
      [NOVA_LITE, NOVA_LITE],
      [NOVA_LITE, NOVA_LITE],
    ]);
  });

  it("keeps a key limited to one model from every other model, however the path spells it", async () => {
    const k = await door.newKey({ allowedModels: ["nova-micro"] });
    const client = door.client(k.key);
    expect((await client.send(new ConverseCommand({ modelId: "nova-micro", messages: [user("hi")] }))).stopReason).toBe("end_turn");
    expect((await client.send(new ConverseCommand({ modelId: NOVA_MICRO, messages: [user("hi")] }))).stopReason).toBe("end_turn");

    for (const modelId of ["nova-lite", NOVA_LITE, `arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0`, "amazon.nova-lite-v1:0"]) {
      const err = await client.send(new ConverseCommand({ modelId, messages: [user("hi")] })).catch((e) => e);
      expect(err, modelId).toBeInstanceOf(ResourceNotFoundException);
      expect(err.$metadata.httpStatusCode).toBe(404);
    }
    const before = sim.requests().length;
    const tricks = [
      `${encodeURIComponent("nova-micro")}%2F..%2Fnova-lite`,
      encodeURIComponent(encodeURIComponent(NOVA_LITE)),
      "nova-micro%252F..%252Fnova-lite",
      encodeURIComponent(NOVA_MICRO.toUpperCase()),
      encodeURIComponent(`${NOVA_MICRO} `),
      encodeURIComponent(` ${NOVA_MICRO}`),
      encodeURIComponent(`${NOVA_MICRO}\n`),
      encodeURIComponent(`nova-micro\u200b`),
      "nova%ZZmicro",
      encodeURIComponent(`arn:aws:bedrock:us-east-1::foundation-model/../../${NOVA_LITE}`),
      encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345"),
    ];
    for (const segment of tricks) {
      const res = await post(`/bedrock/model/${segment}/converse`, k.key, { messages: [user("hi")] });
      expect(res.status, segment).toBe(400);
      expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException");
      expect(((await res.json()) as { message: string }).message).toMatch(/model identifier is invalid/);
    }
    // A route that is not Bedrock's: the path does not end in an operation once the id's slash is real.
    expect((await post(`/bedrock/model/nova-micro/../nova-lite/converse`, k.key, { messages: [user("hi")] })).status).toBe(404);
    expect(sim.requests().length).toBe(before);

    const rows = await door.rows(k.id);
    expect(rows.filter((r) => r.status === "ok").map((r) => r.bedrockModelId)).toEqual([NOVA_MICRO, NOVA_MICRO]);
    expect(rows.filter((r) => r.status === "error").every((r) => r.bedrockModelId !== NOVA_LITE)).toBe(true);
  });

  it("refuses a request the caller signed with SigV4 with an AWS-shaped 403 that says to use a gateway key", async () => {
    const aws = new AwsClient({ ...SIM_CREDENTIALS, service: "bedrock", region: "us-east-1", retries: 0 });
    const before = sim.requests().length;
    const res = await aws.fetch(`${door.url}/bedrock/model/nova-lite/converse`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [user("hi")] }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("UnrecognizedClientException");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/.+/);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/SigV4/);
    expect(body.message).toMatch(/gateway key as a Bearer token/);
    expect(sim.requests().length).toBe(before);
  });

  it("refuses missing and unknown keys the way AWS refuses unrecognised credentials", async () => {
    for (const key of [null, "bgw_live_0000000000000000000000000000000000000000", "not-a-key"]) {
      const res = await post("/bedrock/model/nova-lite/converse", key, { messages: [user("hi")] });
      expect(res.status).toBe(403);
      expect(res.headers.get("x-amzn-errortype")).toBe("UnrecognizedClientException");
      expect(((await res.json()) as { message: string }).message).toMatch(/Authorization: Bearer <gateway key>.*AWS_BEARER_TOKEN_BEDROCK/);
    }
    const err = await door
      .client("bgw_live_0000000000000000000000000000000000000000")
      .send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")] }))
      .catch((e) => e);
    expect(err.name).toBe("UnrecognizedClientException");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toMatch(/gateway key/);
  });

  it("checks the body against the service model's shapes before anything reaches Bedrock", async () => {
    const k = await door.newKey();
    const before = sim.requests().length;
    const cases: [unknown, RegExp][] = [
      ["{not json", /Malformed input request/],
      [{ messages: "hi" }, /'messages' must be a list/],
      [{ messages: [{ content: [{ text: "hi" }] }] }, /'messages.0.role' is required/],
      [{ messages: [{ role: "user", content: [{ text: 1 }] }] }, /'messages.0.content.0.text' must be a string/],
      [{ messages: [{ role: "user", content: [{ text: "a", image: { format: "png", source: { bytes: "AA==" } } }] }] }, /must set exactly one/],
      [{ messages: [user("hi")], inferenceConfig: { maxTokens: 1.5 } }, /'inferenceConfig.maxTokens' must be an integer/],
    ];
    for (const [body, message] of cases) {
      const res = await post("/bedrock/model/nova-lite/converse", k.key, body);
      expect(res.status).toBe(400);
      expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException");
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    expect(sim.requests().length).toBe(before);
    const err = await door
      .client(k.key)
      .send(new ConverseCommand({ modelId: "nova-lite", messages: [{ role: "user", content: [{ text: "a" }] }], inferenceConfig: { maxTokens: -1 } }))
      .catch((e) => e);
    // Ranges are Bedrock's to check: the simulator answers as Bedrock does, and the SDK raises its class.
    expect(err).toBeInstanceOf(ValidationException);
  });

  it("refuses Bedrock-only passthrough fields unless the admin allows them", async () => {
    const k = await door.newKey();
    const client = door.client(k.key);
    for (const extra of [
      { additionalModelRequestFields: { top_k: 5 } },
      { guardrailConfig: { guardrailIdentifier: "g", guardrailVersion: "1" } },
      { serviceTier: { type: "priority" } },
    ]) {
      const err = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")], ...extra } as never)).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect(err.message).toContain(`'${Object.keys(extra)[0]}' is not allowed`);
    }
    const open = await startDoor(t.db, sim.url, { ALLOW_BEDROCK_PASSTHROUGH: "true" });
    try {
      const out = await open
        .client(k.key)
        .send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")], additionalModelRequestFields: { top_k: 5 } }));
      expect(out.stopReason).toBe("end_turn");
      expect((sim.requests().at(-1)!.body as { additionalModelRequestFields?: unknown }).additionalModelRequestFields).toEqual({ top_k: 5 });
    } finally {
      await open.close();
    }
  });

  it("relays Bedrock's errors so the SDK raises its own classes, and records them", async () => {
    const k = await door.newKey();
    const client = door.client(k.key);
    const throttled = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("[sim:error=ThrottlingException]")] })).catch((e) => e);
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    const invalid = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("[sim:error=ValidationException]")] })).catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationException);
    const rows = await door.rows(k.id);
    expect(rows.map((r) => [r.endpoint, r.status, r.httpStatus]).sort()).toEqual([
      ["bedrock.converse", "error", 400],
      ["bedrock.converse", "error", 429],
    ]);
  });

  it("answers a spent budget with ServiceQuotaExceededException, which the SDK does not retry", async () => {
    const k = await door.newKey({ budgetDailyMicros: 1 });
    const client = door.client(k.key);
    await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")], inferenceConfig: { maxTokens: 10 } })).catch(() => null);
    const before = sim.requests().length;
    const err = await client.send(new ConverseCommand({ modelId: "nova-lite", messages: [user("hi")], inferenceConfig: { maxTokens: 10 } })).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceQuotaExceededException);
    expect(err.message).toMatch(/budget/);
    expect(sim.requests().length).toBe(before);
  });

  it("relays InvokeModel with a Titan embedding body and records usage from Bedrock's token-count header", async () => {
    const k = await door.newKey();
    const res = await door.client(k.key).send(
      new InvokeModelCommand({
        modelId: "titan-embed-text-v2",
        contentType: "application/json",
        accept: "application/json",
        body: JSON.stringify({ inputText: "alpha beta gamma", dimensions: 256 }),
      }),
    );
    const out = JSON.parse(new TextDecoder().decode(res.body)) as { embedding: number[]; inputTextTokenCount: number };
    expect(out.embedding).toHaveLength(256);
    expect(sim.requests().at(-1)).toMatchObject({ modelId: TITAN_EMBED, operation: "InvokeModel" });
    const rows = await door.rows(k.id);
    expect(rows).toHaveLength(1);
    const u = { inputTokens: out.inputTextTokenCount, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(rows[0]).toMatchObject({
      endpoint: "bedrock.invoke",
      model: "titan-embed-text-v2",
      bedrockModelId: TITAN_EMBED,
      status: "ok",
      ...u,
      estimated: false,
    });
    expect(Number(rows[0]!.costMicros)).toBe(costMicros(u, priceOf("titan-embed-text-v2")));
  });

  it("refuses InvokeModel's guardrail headers while passthrough is off", async () => {
    const k = await door.newKey();
    const res = await post("/bedrock/model/titan-embed-text-v2/invoke", k.key, { inputText: "x" }, { "x-amzn-bedrock-guardrailidentifier": "g1" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("'x-amzn-bedrock-guardrailidentifier' is not allowed");
  });
});
