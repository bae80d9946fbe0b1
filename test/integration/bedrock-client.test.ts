import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type Simulator } from "../../sim/server";
import { createBedrockClient, type BedrockClientOptions } from "../../src/bedrock/client";
import type { ConverseStreamEvent } from "../../src/bedrock/converse-types";
import type { GatewayError } from "../../src/errors";
import { silentLogger } from "../../src/logger";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator({ port: 0 })));
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
    retries: 2,
    backoffMs: () => 5,
    ...over,
  });
}

async function drain(stream: ReadableStream<ConverseStreamEvent>) {
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

  it("retries throttling before the first byte and succeeds", async () => {
    const before = sim.stats().requests;
    const res = await client().converse(MODEL, ask(`[sim:fail-first=2:ThrottlingException:${Math.random()}] ok`));
    expect(res.stopReason).toBe("end_turn");
    expect(sim.stats().requests - before).toBe(3);
  });

  it("gives up after its retries with the mapped error", async () => {
    const before = sim.stats().requests;
    const err = await rejection(client({ retries: 1 }).converse(MODEL, ask("[sim:error=ServiceUnavailableException]")));
    expect(err).toMatchObject({ status: 503, code: "service_unavailable" });
    expect(sim.stats().requests - before).toBe(2);
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
    const slow = await rejection(client({ timeoutMs: 200, retries: 0 }).converse(MODEL, ask("[sim:ttfb=1500] hi")));
    expect(slow).toMatchObject({ status: 504, type: "timeout_error" });
    const down = await rejection(client({ runtimeEndpoint: "http://127.0.0.1:9", retries: 1 }).converse(MODEL, ask("hi")));
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
