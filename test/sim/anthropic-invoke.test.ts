/**
 * The simulator's InvokeModel, InvokeModelWithResponseStream and CountTokens for Claude's Anthropic body, proved
 * against the official AWS SDK (its event-stream decoding, its exception classes, its CountTokens serialisation).
 */
import {
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { PNG_1PX, SONNET, sdkClient, useSimulator } from "./helpers";

const { sim } = useSimulator();
const body = (o: object = {}) => ({ anthropic_version: "bedrock-2023-05-31", max_tokens: 200, messages: [{ role: "user", content: "Hello there" }], ...o });
const invoke = (b: unknown, modelId = SONNET) =>
  sdkClient(sim()).send(new InvokeModelCommand({ modelId, contentType: "application/json", body: JSON.stringify(b) }));
const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8"));

describe("InvokeModel with Claude's body", () => {
  it("answers Anthropic's message with the token-count headers", async () => {
    const res = await invoke(body({ system: "Be brief." }));
    const msg = json(res.body);
    expect(msg).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-4-5-20250929", stop_reason: "end_turn", stop_sequence: null });
    expect(msg.id).toMatch(/^msg_bdrk_/);
    expect(msg.content).toEqual([{ type: "text", text: "You said: Hello there" }]);
    expect(res.$metadata.httpStatusCode).toBe(200);
  });

  it.each([
    ["model", body({ model: "claude" }), "extraneous key [model] is not permitted"],
    ["stream", body({ stream: true }), "extraneous key [stream] is not permitted"],
    ["no anthropic_version", { max_tokens: 10, messages: [{ role: "user", content: "x" }] }, "required key [anthropic_version] not found"],
    ["no max_tokens", { anthropic_version: "bedrock-2023-05-31", messages: [{ role: "user", content: "x" }] }, "required key [max_tokens] not found"],
    ["an unknown beta", body({ anthropic_beta: ["claude-code-20250219"] }), "invalid beta flag"],
    ["a thinking budget under 1024", body({ thinking: { type: "enabled", budget_tokens: 500 } }), "greater than or equal to 1024"],
    [
      "a thinking budget not under max_tokens",
      body({ max_tokens: 1500, thinking: { type: "enabled", budget_tokens: 2000 } }),
      "`max_tokens` must be greater than `thinking.budget_tokens`",
    ],
    [
      "a thinking block without signature",
      body({
        thinking: { type: "enabled", budget_tokens: 1024 },
        max_tokens: 2000,
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: [{ type: "thinking", thinking: "t" }] },
        ],
      }),
      "signature: Field required",
    ],
  ])("rejects %s as Bedrock does", async (_label, b, message) => {
    const err = await invoke(b).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect(err.message).toContain(message);
  });

  it("answers tool use with toolu_bdrk_ ids, stop sequences with the one that matched, images with their size", async () => {
    const tools = [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
    const tool = json((await invoke(body({ tools, messages: [{ role: "user", content: "get_weather please" }] }))).body);
    expect(tool.stop_reason).toBe("tool_use");
    expect(tool.content[0]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "sample" }, id: expect.stringMatching(/^toolu_bdrk_/) });
    const stop = json((await invoke(body({ stop_sequences: ["zzz", "there"] }))).body);
    expect(stop).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "there", content: [{ type: "text", text: "You said: Hello " }] });
    const img = json(
      (
        await invoke(
          body({
            messages: [
              {
                role: "user",
                content: [
                  { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1PX } },
                  { type: "text", text: "see" },
                ],
              },
            ],
          }),
        )
      ).body,
    );
    expect(img.content[0].text).toMatch(/I received 1 image: png \(\d+ bytes\)/);
  });

  it("fails with the exception a directive names", async () => {
    expect(await invoke(body({ messages: [{ role: "user", content: "[sim:error=ThrottlingException]" }] })).catch((e) => e)).toBeInstanceOf(
      ThrottlingException,
    );
  });
});

describe("InvokeModelWithResponseStream with Claude's body", () => {
  it("streams Anthropic's events in chunk bytes, with invocation metrics in the last", async () => {
    const res = await sdkClient(sim()).send(
      new InvokeModelWithResponseStreamCommand({
        modelId: SONNET,
        contentType: "application/json",
        body: JSON.stringify(body({ thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 2000 })),
      }),
    );
    const events: { type: string; [k: string]: unknown }[] = [];
    for await (const part of res.body!) if (part.chunk?.bytes) events.push(json(part.chunk.bytes));
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[1]).toMatchObject({ content_block: { type: "thinking" } });
    expect(events.some((e) => (e.delta as { type?: string } | undefined)?.type === "signature_delta")).toBe(true);
    const text = events
      .flatMap((e) => ((e.delta as { type?: string; text?: string })?.type === "text_delta" ? [(e.delta as { text: string }).text] : []))
      .join("");
    expect(text).toBe("You said: Hello there");
    const delta = events.find((e) => e.type === "message_delta") as unknown as { usage: { output_tokens: number } };
    expect(events.at(-1)!["amazon-bedrock-invocationMetrics"]).toMatchObject({
      outputTokenCount: delta.usage.output_tokens,
      inputTokenCount: expect.any(Number),
    });
  });
});

describe("CountTokens", () => {
  it("counts an InvokeModel body on a foundation model id, and refuses profiles and models without it", async () => {
    const client = sdkClient(sim());
    const input = { invokeModel: { body: new TextEncoder().encode(JSON.stringify(body())) } };
    const res = await client.send(new CountTokensCommand({ modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0", input }));
    expect(res.inputTokens).toBeGreaterThan(0);
    expect(await client.send(new CountTokensCommand({ modelId: SONNET, input })).catch((e) => e)).toBeInstanceOf(ValidationException);
    expect(await client.send(new CountTokensCommand({ modelId: "amazon.nova-pro-v1:0", input })).catch((e) => e)).toBeInstanceOf(ValidationException);
  });
});
