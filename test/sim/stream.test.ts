/** ConverseStream through the official AWS SDK and through raw frames: events, faults, cancellation. */
import { request, type ClientRequest, type IncomingMessage } from "node:http";
import {
  ConverseCommand,
  ConverseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { describe, expect, it } from "vitest";
import { UNICODE_SAMPLE } from "../../sim/behaviour";
import { awsFetch, eventually, sdkClient, SONNET, TIME_TOOL, useSimulator, WEATHER_TOOL } from "./helpers";

const { sim } = useSimulator();
const input = (text: string, extra: Partial<ConverseStreamCommandInput> = {}): ConverseStreamCommandInput => ({
  modelId: SONNET,
  messages: [{ role: "user", content: [{ text }] }],
  ...extra,
});

async function collect(cmd: ConverseStreamCommandInput): Promise<ConverseStreamOutput[]> {
  const res = await sdkClient(sim()).send(new ConverseStreamCommand(cmd));
  const events: ConverseStreamOutput[] = [];
  for await (const e of res.stream!) events.push(e);
  return events;
}

const texts = (events: ConverseStreamOutput[]) => events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join("");

/** Signs with aws4fetch and sends with node:http, so the test sees each chunk as it arrives. */
async function rawRequest(text: string, onResponse: (res: IncomingMessage, req: ClientRequest) => void): Promise<void> {
  const url = `${sim().url}/model/${encodeURIComponent(SONNET)}/converse-stream`;
  const body = JSON.stringify(input(text));
  const signed = await awsFetch().sign(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: "POST", headers: Object.fromEntries(signed.headers) }, (res) => {
      onResponse(res, req);
      res.on("end", resolve);
      res.on("close", resolve);
    });
    req.on("error", (e) => (req.destroyed ? resolve() : reject(e)));
    req.end(body);
  });
}

/** Returns the frames decoded by the smithy codec and the chunks as they arrived. */
async function rawFrames(text: string) {
  const chunks: Buffer[] = [];
  let headers: IncomingMessage["headers"] = {};
  await rawRequest(text, (res) => {
    headers = res.headers;
    res.on("data", (c: Buffer) => chunks.push(c));
  });
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const all = Buffer.concat(chunks);
  const frames = [];
  // Each frame starts with its total length (big-endian uint32); the codec decodes one frame at a time.
  for (let at = 0; at < all.length; at += all.readUInt32BE(at)) {
    const msg = codec.decode(all.subarray(at, at + all.readUInt32BE(at)));
    frames.push({ headers: Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, v.value])), body: JSON.parse(toUtf8(msg.body)) });
  }
  return { headers, frames, chunks };
}

describe("ConverseStream (AWS SDK)", () => {
  it("streams text in several deltas that concatenate to the Converse reply, then stop and usage", async () => {
    const events = await collect(input("[sim:words=12] stream me"));
    expect(events[0]).toEqual({ messageStart: { role: "assistant" } });
    expect(events.filter((e) => e.contentBlockDelta).length).toBeGreaterThan(3);
    const plain = await sdkClient(sim()).send(new ConverseCommand(input("[sim:words=12] stream me")));
    expect(texts(events)).toBe(plain.output!.message!.content![0]!.text);
    expect(events.at(-2)).toEqual({ messageStop: { stopReason: "end_turn" } });
    expect(events.at(-1)!.metadata!.usage).toEqual(plain.usage);
    expect(events.at(-1)!.metadata!.metrics!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("streams tool use as contentBlockStart + input fragments, reasoning as text then signature", async () => {
    const events = await collect(
      input("use get_weather please", {
        toolConfig: { tools: [WEATHER_TOOL, TIME_TOOL] },
        inferenceConfig: { maxTokens: 2000 },
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } },
      }),
    );
    const reasoning = events.filter((e) => e.contentBlockDelta?.contentBlockIndex === 0).map((e) => e.contentBlockDelta!.delta!.reasoningContent!);
    expect(reasoning.at(-1)!.signature).toBeTruthy();
    expect(
      reasoning
        .slice(0, -1)
        .map((r) => r.text)
        .join(""),
    ).toContain("I will call get_weather");
    const start = events.find((e) => e.contentBlockStart)!.contentBlockStart!;
    expect(start).toEqual({ contentBlockIndex: 1, start: { toolUse: { toolUseId: expect.stringMatching(/^tooluse_/), name: "get_weather" } } });
    const fragments = events.filter((e) => e.contentBlockDelta?.contentBlockIndex === 1).map((e) => e.contentBlockDelta!.delta!.toolUse!.input!);
    expect(fragments[0]).toBe("");
    expect(fragments.length).toBeGreaterThan(2);
    expect(JSON.parse(fragments.join(""))).toEqual({ city: "sample", unit: "celsius" });
    expect(events.find((e) => e.messageStop)!.messageStop!.stopReason).toBe("tool_use");
  });

  it("splits multibyte tool input JSON across fragments that still reassemble to the input", async () => {
    const events = await collect(input("[sim:unicode] get_weather", { toolConfig: { tools: [WEATHER_TOOL] } }));
    const fragments = events.flatMap((e) => (e.contentBlockDelta?.delta?.toolUse ? [e.contentBlockDelta.delta.toolUse.input!] : []));
    expect(fragments.length).toBeGreaterThan(10);
    expect(JSON.parse(fragments.join(""))).toEqual({ city: UNICODE_SAMPLE, unit: "celsius" });
  });

  it("raises exception frames mid-stream as the SDK's exception classes", async () => {
    for (const [type, cls] of [
      ["modelStreamErrorException", ModelStreamErrorException],
      ["throttlingException", ThrottlingException],
    ] as const) {
      const seen: ConverseStreamOutput[] = [];
      const err = await (async () => {
        const res = await sdkClient(sim()).send(new ConverseStreamCommand(input(`[sim:stream-error-after=2:${type}] [sim:words=30]`)));
        for await (const e of res.stream!) seen.push(e);
      })().catch((e) => e);
      expect(err).toBeInstanceOf(cls);
      expect(seen.filter((e) => e.contentBlockDelta)).toHaveLength(2);
      if (err instanceof ModelStreamErrorException) expect(err.originalStatusCode).toBe(500);
    }
  });

  it("makes the SDK reject a frame with a corrupt CRC", async () => {
    const err = await collect(input("[sim:corrupt-crc-after=2] [sim:words=20]")).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/checksum|crc/i);
  });

  it("raises HTTP errors before the stream starts", async () => {
    const err = await collect(input("[sim:error=ThrottlingException]")).catch((e) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$metadata.httpStatusCode).toBe(429);
  });
});

describe("ConverseStream frames on the wire", () => {
  it("sends event-stream frames with Bedrock's headers and a padding field", async () => {
    const { headers, frames } = await rawFrames("hi");
    expect(headers["content-type"]).toBe("application/vnd.amazon.eventstream");
    expect(headers["x-amzn-requestid"]).toBeTruthy();
    expect(frames.map((f) => f.headers[":event-type"])).toEqual([
      "messageStart",
      "contentBlockDelta",
      "contentBlockDelta",
      "contentBlockStop",
      "messageStop",
      "metadata",
    ]);
    for (const f of frames) {
      expect(f.headers[":message-type"]).toBe("event");
      expect(f.headers[":content-type"]).toBe("application/json");
      expect(f.body.p).toMatch(/^[a-zA-Z0-9]+$/);
    }
  });

  it("cuts multibyte text across frames and TCP chunks, and reassembles byte-exactly", async () => {
    const { frames, chunks } = await rawFrames("[sim:unicode]");
    const deltas = frames.filter((f) => f.headers[":event-type"] === "contentBlockDelta").map((f) => f.body.delta.text as string);
    expect(deltas.join("")).toBe(UNICODE_SAMPLE);
    // Some delta boundary splits a grapheme (a combining mark or ZWJ sequence), and some TCP chunk splits a UTF-8 sequence.
    expect(deltas.some((d) => /^[\u0300-\u036f\u200d\u{1f3fb}-\u{1f3ff}\u{1f1e6}-\u{1f1ff}]/u.test(d))).toBe(true);
    expect(chunks.length).toBeGreaterThan(frames.length);
    expect(chunks.some((c) => c.length > 0 && (c[0]! & 0xc0) === 0x80)).toBe(true);
  });

  it.each([
    ["[sim:truncate-after=3] [sim:words=20]", 3, "truncated"],
    ["[sim:unknown-event-after=1] hi", 7, "completed"],
  ])("%s → %i frames, outcome %s", async (text, count, outcome) => {
    const { frames } = await rawFrames(text);
    expect(frames).toHaveLength(count);
    expect(sim().requests().at(-1)!.outcome).toBe(outcome);
  });

  it("resets the connection with [sim:reset-after=N]", async () => {
    const err = await collect(input("[sim:reset-after=3] [sim:words=20]")).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(sim().requests().at(-1)!.outcome).toBe("reset");
  });

  it("notices a client that goes away mid-stream and stops generating", async () => {
    const before = sim().stats();
    await rawRequest("[sim:delay=30] [sim:words=400]", (res, req) => res.once("data", () => req.destroy()));
    await eventually(() => sim().stats().streamsCancelled === before.streamsCancelled + 1);
    expect(sim().stats()).toMatchObject({ openStreams: 0, streamsStarted: before.streamsStarted + 1, streamsCompleted: before.streamsCompleted });
    expect(sim().requests().at(-1)!.outcome).toBe("cancelled");
  });
});
