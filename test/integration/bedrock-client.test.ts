import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../sim/server";
import { createBedrockClient, type BedrockClientOptions } from "../../src/bedrock/client";
import type { ConverseStreamEvent } from "../../src/bedrock/converse-types";
import type { EventStream } from "../../src/bedrock/event-reader";
import type { GatewayError } from "../../src/errors";
import { silentLogger } from "../../src/logger";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0, regions: ["us-west-2", "eu-west-1"] })));
afterAll(async () => sim.close());

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ask = (text: string) => ({ messages: [{ role: "user" as const, content: [{ text }] }], inferenceConfig: { maxTokens: 200 } });

function client(over: Partial<BedrockClientOptions> = {}) {
  return createBedrockClient({
    region: "us-east-1",
    runtimeEndpoint: sim.url,
    controlEndpoint: sim.url,
    credentials: async () => SIM_CREDENTIALS,
    fetch: globalThis.fetch,
    logger: silentLogger,
    timeoutMs: 2000,
    idleTimeoutMs: 2000,
    ...over,
  });
}

async function drain(stream: EventStream<ConverseStreamEvent>) {
  const events: ConverseStreamEvent[] = [];
  const reader = stream.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return events;
    events.push(r.value);
  }
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as GatewayError,
  );

describe("Bedrock client against the simulator", () => {
  it("signs model ids with colons and ARNs so that SigV4 verification passes", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    for (const id of [MODEL, arn]) {
      const res = await client().converse(id, ask("hi"));
      expect(res.stopReason).toBe("end_turn");
    }
  });

  it("streams decoded events in order", async () => {
    const events = await drain(await client().converseStream(MODEL, ask("stream me [sim:words=12]")));
    expect(events[0]!.type).toBe("messageStart");
    expect(events.at(-1)!.type).toBe("metadata");
  });

  it.each([
    ["ThrottlingException", { status: 429, code: "rate_limit_exceeded" }, "next"],
    ["ServiceQuotaExceededException", { status: 429, code: "quota_exceeded" }, "next"],
    ["ServiceUnavailableException", { status: 503, code: "service_unavailable" }, "same"],
    ["InternalServerException", { status: 500 }, "same"],
    ["ValidationException", { status: 400 }, "never"],
  ])("makes exactly one attempt on %s and says what it allows next", async (name, mapped, retry) => {
    const before = sim.stats().requests;
    const err = await rejection(client().converse(MODEL, ask(`[sim:error=${name}]`)));
    expect(err).toMatchObject({ ...mapped, retry });
    expect(sim.stats().requests - before).toBe(1);
  });

  it("signs each attempt for its region and sends it to that region's endpoint", async () => {
    const sent: string[] = [];
    const recording: typeof fetch = (input, init) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return globalThis.fetch(input, init);
    };
    const arn = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/simclaudesonnet45";
    for (const [id, region] of [
      [MODEL, "us-west-2"],
      [arn, "eu-west-1"],
      ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-1"],
    ] as const) {
      const res = await client({ fetch: recording }).converse(id, ask("hi"), undefined, { region });
      expect(res.stopReason).toBe("end_turn");
      expect(sim.requests().at(-1)).toMatchObject({ modelId: id, region });
    }
    expect(sent.every((u) => u.startsWith(`${sim.url}/model/`))).toBe(true);
    expect(sent[1]).toContain(encodeURIComponent(arn));

    // AWS's own endpoint for the default region means "each region's own endpoint".
    const regional: string[] = [];
    const c = client({
      runtimeEndpoint: "https://bedrock-runtime.us-east-1.amazonaws.com",
      fetch: async (input) => {
        regional.push(input instanceof Request ? input.url : String(input));
        return new Response("{}", { status: 200 });
      },
    });
    await c.converse(MODEL, ask("hi"), undefined, { region: "eu-west-1" });
    await c.converse(MODEL, ask("hi"));
    expect(regional.map((u) => new URL(u).host)).toEqual(["bedrock-runtime.eu-west-1.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com"]);
  });

  it("refuses a region that is not one, before sending anything", async () => {
    const before = sim.stats().requests;
    const err = await rejection(client().converse(MODEL, ask("hi"), undefined, { region: "evil.example/x" }));
    expect(err).toMatchObject({ status: 502, code: "invalid_target_region", retry: "never" });
    expect(sim.stats().requests).toBe(before);
  });

  it("times a stream out before its first event and cancels the upstream request", async () => {
    const cancelled = sim.stats().streamsCancelled;
    const err = await rejection(client().converseStream(MODEL, ask("[sim:first-frame-delay=2000] hi"), undefined, { firstByteTimeoutMs: 200 }));
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout", retry: "same", message: "Bedrock did not answer within 200 ms." });
    await expect.poll(() => sim.stats().streamsCancelled).toBeGreaterThan(cancelled);
  });

  it("times a stream out when Bedrock does not accept it within the connect limit", async () => {
    const err = await rejection(client().converseStream(MODEL, ask("[sim:ttfb=2000] hi"), undefined, { connectTimeoutMs: 150, firstByteTimeoutMs: 1500 }));
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout", message: "Bedrock did not accept the request within 150 ms." });
    const ok = await client().converseStream(MODEL, ask("[sim:first-frame-delay=300] hi"), undefined, { connectTimeoutMs: 150, firstByteTimeoutMs: 1500 });
    expect((await drain(ok))[0]!.type).toBe("messageStart");
  });

  it("an exception frame before the first event is an attempt failure, not a stream", async () => {
    const err = await rejection(client().converseStream(MODEL, ask("[sim:stream-error-after=0:throttlingException] [sim:no-output]")));
    expect(err).toMatchObject({ status: 429, retry: "next" });
  });

  it("does not retry validation errors or credential failures", async () => {
    const before = sim.stats().requests;
    const v = await rejection(client().converse(MODEL, { messages: [] }));
    expect(v).toMatchObject({ status: 400, type: "invalid_request_error" });
    const auth = await rejection(client({ credentials: async () => ({ ...SIM_CREDENTIALS, secretAccessKey: "wrong" }) }).converse(MODEL, ask("hi")));
    expect(auth).toMatchObject({ status: 502, code: "upstream_auth_failed" });
    expect(auth.message).not.toContain("wrong");
    expect(sim.stats().requests - before).toBe(2);
  });

  it("answers 504 when Bedrock is slower than the timeout, and 502 when unreachable", async () => {
    const slow = await rejection(client({ timeoutMs: 200 }).converse(MODEL, ask("[sim:ttfb=1500] hi")));
    expect(slow).toMatchObject({ status: 504, type: "timeout_error" });
    const down = await rejection(client({ runtimeEndpoint: "http://127.0.0.1:9" }).converse(MODEL, ask("hi")));
    expect(down).toMatchObject({ status: 502, code: "upstream_unavailable" });
  });

  it("errors a stream that goes idle and cancels the upstream request", async () => {
    const before = sim.stats().streamsCancelled;
    const stream = await client({ idleTimeoutMs: 150 }).converseStream(MODEL, ask("[sim:delay=1000] [sim:words=10]"));
    const err = await rejection(drain(stream));
    expect(err).toMatchObject({ status: 504, code: "upstream_timeout" });
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.stats().streamsCancelled).toBeGreaterThan(before);
  });

  it("aborts the Bedrock call when the caller's signal fires", async () => {
    const before = sim.stats().streamsCancelled;
    const controller = new AbortController();
    const stream = await client().converseStream(MODEL, ask("[sim:delay=100] [sim:words=50]"), controller.signal);
    const reader = stream.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.stats().streamsCancelled).toBeGreaterThan(before);
  });

  it("turns a mid-stream exception into a stream error after the events before it", async () => {
    const stream = await client().converseStream(MODEL, ask("[sim:stream-error-after=2:throttlingException] [sim:words=20]"));
    const reader = stream.getReader();
    const seen: string[] = [];
    const err = await rejection(
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          seen.push(r.value.type);
        }
      })(),
    );
    expect(seen.filter((t) => t === "contentBlockDelta")).toHaveLength(2);
    expect(err).toMatchObject({ status: 429, type: "rate_limit_error" });
  });

  it("lists foundation models and inference profiles", async () => {
    const c = client();
    expect((await c.listFoundationModels()).length).toBeGreaterThan(0);
    expect((await c.listInferenceProfiles()).some((p) => p.inferenceProfileId.startsWith("us."))).toBe(true);
  });
});

describe("Bedrock client signing with the runtime's synchronous hashes", () => {
  const syncCrypto = {
    sha256Hex: (d: string) => createHash("sha256").update(d).digest("hex"),
    hmacSha256: (k: string | Uint8Array, d: string) => createHmac("sha256", k).update(d).digest(),
    hmacSha256Hex: (k: Uint8Array, d: string) => createHmac("sha256", k).update(d).digest("hex"),
  };

  it("passes SigV4 verification for model ids with colons, ARNs, streams and another region", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    for (const id of [MODEL, arn]) expect((await client({ syncCrypto }).converse(id, ask("hi"))).stopReason).toBe("end_turn");
    const events = await drain(await client({ syncCrypto }).converseStream(MODEL, ask("stream me [sim:words=12]"), undefined, { region: "us-west-2" }));
    expect(events.at(-1)!.type).toBe("metadata");
    const log = sim.requests().slice(-3);
    expect(log.map((e) => e.status)).toEqual([200, 200, 200]);
    expect(log.at(-1)!.region).toBe("us-west-2");
  });

  it("is refused by the simulator when the secret is wrong", async () => {
    const err = await rejection(client({ syncCrypto, credentials: async () => ({ ...SIM_CREDENTIALS, secretAccessKey: "wrong" }) }).converse(MODEL, ask("hi")));
    expect(err.code).toBe("upstream_auth_failed");
  });
});

describe("Bedrock client under clock skew", () => {
  const syncCrypto = {
    sha256Hex: (d: string) => createHash("sha256").update(d).digest("hex"),
    hmacSha256: (k: string | Uint8Array, d: string) => createHmac("sha256", k).update(d).digest(),
    hmacSha256Hex: (k: Uint8Array, d: string) => createHmac("sha256", k).update(d).digest("hex"),
  };
  afterAll(() => sim.setClockOffset(0));

  // AWS's clock 6 minutes ahead of or behind this machine's: past SigV4's 5-minute window either way.
  it.each([
    ["aws4fetch", "ahead", 6 * 60_000, {}],
    ["aws4fetch", "behind", -6 * 60_000, {}],
    ["sync hashes", "ahead", 6 * 60_000, { syncCrypto }],
    ["sync hashes", "behind", -6 * 60_000, { syncCrypto }],
  ] as const)("signing with %s, AWS's clock %s: learns the offset from Date, retries once, then signs right", async (_s, _d, offset, over) => {
    sim.setClockOffset(offset);
    const warnings: Record<string, unknown>[] = [];
    const logger = { ...silentLogger, warn: (msg: string, f?: Record<string, unknown>) => void warnings.push({ msg, ...f }) };
    const c = client({ ...over, logger });
    const before = sim.requests().length;
    expect((await c.converse(MODEL, ask("hi"))).stopReason).toBe("end_turn");
    expect(
      sim
        .requests()
        .slice(before)
        .map((e) => e.status),
    ).toEqual([403, 200]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/clock skew/);
    expect(Math.abs((warnings[0]!.offsetMs as number) - offset)).toBeLessThan(5_000);
    // The offset is kept: the next call (a stream too) is signed right the first time.
    await drain(await c.converseStream(MODEL, ask("stream me [sim:words=3]")));
    expect(
      sim
        .requests()
        .slice(before + 2)
        .map((e) => e.status),
    ).toEqual([200]);
  });

  it("a signature refused for another reason is not retried", async () => {
    sim.setClockOffset(0);
    const before = sim.requests().length;
    const err = await rejection(client({ credentials: async () => ({ ...SIM_CREDENTIALS, secretAccessKey: "wrong" }) }).converse(MODEL, ask("hi")));
    expect(err.code).toBe("upstream_auth_failed");
    expect(sim.requests().length - before).toBe(1);
  });
});
