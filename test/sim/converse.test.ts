/** Converse through the official AWS SDK: replies, tool use, reasoning, usage, stop reasons, HTTP errors. */
import {
  AccessDeniedException,
  ConverseCommand,
  ModelNotReadyException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ConverseCommandInput,
  type Message,
} from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { UNICODE_SAMPLE, WORDS } from "../../sim/behaviour";
import { HAIKU3, NOVA, PDF_MIN, PNG_1PX, sdkClient, SONNET, TIME_TOOL, useSimulator, WEATHER_TOOL } from "./helpers";

const { sim } = useSimulator();
const converse = (input: Omit<ConverseCommandInput, "modelId"> & { modelId?: string }) =>
  sdkClient(sim()).send(new ConverseCommand({ modelId: SONNET, ...input } as ConverseCommandInput));
const say = (text: string): Message[] => [{ role: "user", content: [{ text }] }];

describe("Converse (AWS SDK)", () => {
  it("echoes the user's text with usage and metrics", async () => {
    const res = await converse({ messages: say("hello there") });
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.output?.message).toEqual({ role: "assistant", content: [{ text: "You said: hello there" }] });
    expect(res.stopReason).toBe("end_turn");
    // "hello there" = 11 chars → 3 tokens; "You said: hello there" = 21 chars → 6 tokens.
    expect(res.usage).toEqual({ inputTokens: 3, outputTokens: 6, totalTokens: 9 });
    expect(res.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("counts system text and is deterministic", async () => {
    const input = { system: [{ text: "Be brief." }], messages: say("abcd") };
    const [a, b] = [await converse(input), await converse(input)];
    expect(a.usage?.inputTokens).toBe(Math.ceil(13 / 4));
    expect(a.output).toEqual(b.output);
  });

  it("calls a tool named in the text, with input synthesised from the schema", async () => {
    const res = await converse({ messages: say("What is the weather? Use get_weather."), toolConfig: { tools: [WEATHER_TOOL, TIME_TOOL] } });
    expect(res.stopReason).toBe("tool_use");
    const [block] = res.output!.message!.content!;
    expect(block!.toolUse).toEqual({
      toolUseId: expect.stringMatching(/^tooluse_[A-Za-z0-9]{22}$/),
      name: "get_weather",
      input: { city: "sample", unit: "celsius" },
    });
  });

  it("forces a tool with toolChoice and emits two with [sim:parallel-tools]", async () => {
    const res = await converse({
      messages: say("anything [sim:parallel-tools]"),
      toolConfig: { tools: [WEATHER_TOOL, TIME_TOOL], toolChoice: { any: {} } },
    });
    const uses = res.output!.message!.content!.map((b) => b.toolUse!);
    expect(uses.map((u) => u.name)).toEqual(["get_weather", "get_time"]);
    expect(new Set(uses.map((u) => u.toolUseId)).size).toBe(2);
  });

  it("answers tool results by quoting them", async () => {
    const first = await converse({ messages: say("call get_weather"), toolConfig: { tools: [WEATHER_TOOL] } });
    const id = first.output!.message!.content![0]!.toolUse!.toolUseId!;
    const res = await converse({
      toolConfig: { tools: [WEATHER_TOOL] },
      messages: [
        ...say("call get_weather"),
        first.output!.message!,
        { role: "user", content: [{ toolResult: { toolUseId: id, content: [{ json: { temp: 21 } }] } }] },
      ],
    });
    expect(res.stopReason).toBe("end_turn");
    expect(res.output!.message!.content![0]!.text).toBe(`Tool results: ${id} => {"temp":21}`);
  });

  it("starts with a signed reasoning block when thinking is on, and accepts it back", async () => {
    const thinking = { thinking: { type: "enabled", budget_tokens: 1024 } };
    const first = await converse({
      messages: say("Use get_weather for Oslo"),
      toolConfig: { tools: [WEATHER_TOOL] },
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: thinking,
    });
    const [reasoning, tool] = first.output!.message!.content!;
    expect(reasoning!.reasoningContent!.reasoningText!.text).toContain("I will call get_weather");
    expect(reasoning!.reasoningContent!.reasoningText!.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const next = await converse({
      messages: [
        ...say("Use get_weather for Oslo"),
        first.output!.message!,
        { role: "user", content: [{ toolResult: { toolUseId: tool!.toolUse!.toolUseId!, content: [{ text: "cloudy" }] } }] },
      ],
      toolConfig: { tools: [WEATHER_TOOL] },
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: thinking,
    });
    // Claude thinks once per turn: the continuation after tool results has no new reasoning block...
    expect(next.output!.message!.content).toEqual([{ text: `Tool results: ${tool!.toolUse!.toolUseId} => cloudy` }]);
    // ...unless interleaved thinking is asked for.
    const interleaved = await converse({
      messages: [
        ...say("Use get_weather for Oslo"),
        first.output!.message!,
        { role: "user", content: [{ toolResult: { toolUseId: tool!.toolUse!.toolUseId!, content: [{ text: "cloudy" }] } }] },
      ],
      toolConfig: { tools: [WEATHER_TOOL] },
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: { ...thinking, anthropic_beta: ["interleaved-thinking-2025-05-14"] },
    });
    expect(interleaved.output!.message!.content![0]!.reasoningContent).toBeDefined();
  });

  it.each([
    ["[sim:words=5]", {}, WORDS.slice(0, 5).join(" "), "end_turn"],
    ["[sim:words=100]", { maxTokens: 5 }, WORDS.slice(0, 4).join(" ").slice(0, 20), "max_tokens"],
    ["[sim:words=6]", { stopSequences: ["echo"] }, "alpha bravo charlie delta ", "stop_sequence"],
    ["hi [sim:stop=guardrail_intervened]", {}, "You said: hi", "guardrail_intervened"],
    ["[sim:unicode]", {}, UNICODE_SAMPLE, "end_turn"],
  ])("%s with %j → %j / %s", async (text, inferenceConfig, reply, stopReason) => {
    const res = await converse({ messages: say(text), inferenceConfig });
    expect(res.output!.message!.content![0]!.text).toBe(reply);
    expect(res.stopReason).toBe(stopReason);
    if (stopReason === "max_tokens") expect(res.usage!.outputTokens).toBe(5);
  });

  it("returns JSON valid for a json_schema output config", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, tags: { type: "array", items: { type: "string", enum: ["a", "b"] } }, n: { type: "integer", minimum: 3 } },
      required: ["name"],
      additionalProperties: false,
    };
    const res = await converse({
      messages: say("extract"),
      outputConfig: { textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema), name: "x" } } } },
    });
    expect(JSON.parse(res.output!.message!.content![0]!.text!)).toEqual({ name: "sample", tags: ["a"], n: 3 });
  });

  it("answers in JSON when a system block asks for JSON", async () => {
    const res = await converse({ system: [{ text: "Respond with a single valid JSON object." }], messages: say("hi") });
    expect(JSON.parse(res.output!.message!.content![0]!.text!)).toEqual({ reply: "You said: hi" });
  });

  it("describes images and documents", async () => {
    const res = await converse({
      modelId: NOVA,
      messages: [
        {
          role: "user",
          content: [
            { text: "look" },
            { image: { format: "png", source: { bytes: Buffer.from(PNG_1PX, "base64") } } },
            { document: { name: "Q3 report", format: "pdf", source: { bytes: Buffer.from(PDF_MIN, "base64") } } },
          ],
        },
      ],
    });
    expect(res.output!.message!.content![0]!.text).toBe(
      `You said: look I received 1 image: png (${Buffer.from(PNG_1PX, "base64").length} bytes). I received 1 document: Q3 report (pdf).`,
    );
  });

  it("echoes the received body with [sim:echo-request] and omits output with [sim:no-output]", async () => {
    const echo = await converse({ messages: say("[sim:echo-request]"), inferenceConfig: { maxTokens: 77 } });
    expect(JSON.parse(echo.output!.message!.content![0]!.text!)).toEqual({ messages: say("[sim:echo-request]"), inferenceConfig: { maxTokens: 77 } });
    const none = await converse({ messages: say("[sim:no-output]") });
    expect(none.output).toBeUndefined();
    expect(none.stopReason).toBe("end_turn");
  });

  it.each([
    ["ThrottlingException", ThrottlingException, 429],
    ["ServiceUnavailableException", ServiceUnavailableException, 503],
    ["ModelNotReadyException", ModelNotReadyException, 429],
    ["ModelTimeoutException", ModelTimeoutException, 408],
    ["AccessDeniedException", AccessDeniedException, 403],
    ["ValidationException", ValidationException, 400],
  ])("[sim:error=%s] surfaces as the SDK's class with status %i", async (name, cls, status) => {
    const err = await converse({ messages: say(`[sim:error=${name}]`) }).catch((e) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err.$metadata.httpStatusCode).toBe(status);
  });

  it("fails the first N requests carrying the same fail-first directive, counted per nonce", async () => {
    const text = `[sim:fail-first=2:ThrottlingException:${Math.random()}] go`;
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(
        await converse({ messages: say(text) }).then(
          () => "ok",
          (e) => e.name,
        ),
      );
    expect(results).toEqual(["ThrottlingException", "ThrottlingException", "ok"]);
    expect(await converse({ messages: say(`[sim:fail-first=1:ThrottlingException:${Math.random()}]`) }).catch((e) => e.name)).toBe("ThrottlingException");
  });

  it("delays the response headers with [sim:ttfb]", async () => {
    const t0 = Date.now();
    await converse({ messages: say("[sim:ttfb=150] slow") });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("accepts base model ids and reports the model id in the request log", async () => {
    await converse({ modelId: HAIKU3, messages: say("old model") });
    expect(sim().requests().at(-1)).toMatchObject({
      operation: "Converse",
      modelId: HAIKU3,
      status: 200,
      path: `/model/${encodeURIComponent(HAIKU3)}/converse`,
    });
    expect(sim().requests().at(-1)!.headers.authorization).toContain("Signature=[redacted]");
  });
});
