/**
 * The gateway's translations against the simulator's checks: for each Bedrock rule that an OpenAI request could
 * break, the translated request passes (the raw Bedrock body that breaks it is refused in validation.test.ts).
 * In-process: translator → signed Bedrock client → simulator → response and stream translators.
 */
import { describe, expect, it } from "vitest";
import { SIM_CREDENTIALS } from "../../sim/server";
import { createBedrockClient } from "../../src/bedrock/client";
import type { ConverseStreamEvent } from "../../src/bedrock/converse-types";
import { staticCatalogue } from "../../src/models/catalogue";
import { GatewayError } from "../../src/errors";
import { createLogger } from "../../src/logger";
import { toChatCompletion } from "../../src/translate/converse-to-openai";
import { ChatCompletionRequestSchema, type ChatCompletionChunk } from "../../src/translate/openai-types";
import { toConverseRequest, type TranslatedRequest } from "../../src/translate/openai-to-converse";
import { createStreamTranslator } from "../../src/translate/stream-translator";
import { useSimulator } from "./helpers";

const { sim } = useSimulator();
const catalogue = staticCatalogue();
const CHAT_MODELS = catalogue.models.filter((m) => m.kind === "chat").map((m) => m.id);
const meta = { id: "chatcmpl-test", created: 1, model: "client-model" };

const bedrock = () =>
  createBedrockClient({
    region: "us-east-1",
    runtimeEndpoint: sim().url,
    controlEndpoint: sim().url,
    credentials: async () => SIM_CREDENTIALS,
    fetch: globalThis.fetch,
    logger: createLogger("silent"),
    timeoutMs: 5000,
    idleTimeoutMs: 5000,
    retries: 0,
  });

function translate(req: Record<string, unknown>): { t: TranslatedRequest; modelId: string } {
  const model = catalogue.resolve(req.model as string)!;
  const parsed = ChatCompletionRequestSchema.parse(req);
  const t = toConverseRequest(parsed, { model, allowPassthrough: true, temperatureAboveOne: "reject", reasoningFor: () => undefined });
  return { t, modelId: model.bedrockModelId };
}

/** Plain (non-streamed) round trip; throws the GatewayError Bedrock's 400 becomes. */
async function complete(req: Record<string, unknown>) {
  const { t, modelId } = translate(req);
  const res = await bedrock().converse(modelId, t.body);
  return { t, out: toChatCompletion(res, { ...meta, jsonToolName: t.jsonToolName, legacyFunctions: t.legacyFunctions }) };
}

async function stream(req: Record<string, unknown>): Promise<{ content: string; finish: string | null; chunks: ChatCompletionChunk[] }> {
  const { t, modelId } = translate(req);
  const events = await bedrock().converseStream(modelId, t.body);
  const translator = createStreamTranslator({ ...meta, includeUsage: false, jsonToolName: t.jsonToolName });
  const chunks: ChatCompletionChunk[] = [];
  const reader = events.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(...translator.push(r.value as ConverseStreamEvent));
  chunks.push(...translator.finish());
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  const finish = chunks.map((c) => c.choices[0]?.finish_reason ?? null).find((f) => f !== null) ?? null;
  return { content, finish, chunks };
}

const user = (content: string) => ({ role: "user", content });

describe("extended thinking: budget and maxTokens always within Anthropic's bounds", () => {
  // Before the fix, the gateway raised the client's limit (8000 → 12288) instead of keeping it.
  it.each<[string, Record<string, number>, number | null, number]>([
    ["minimal", {}, 1024, 8192],
    ["medium", {}, 8192, 12288],
    ["high", {}, 16384, 20480],
    ["medium", { max_completion_tokens: 8000 }, 4000, 8000],
    ["high", { max_completion_tokens: 16000 }, 11904, 16000],
    ["medium", { max_completion_tokens: 8192 }, 4096, 8192],
    ["low", { max_completion_tokens: 2048 }, 1024, 2048],
    ["minimal", { max_completion_tokens: 1280 }, 1024, 1280],
    ["minimal", { max_completion_tokens: 1279 }, null, 1279],
    ["minimal", { max_completion_tokens: 1024 }, null, 1024],
    ["high", { max_tokens: 1025, temperature: 0.2 } as Record<string, number>, null, 1025],
  ])("claude-3-7-sonnet, %s %j → budget %s, maxTokens %i, accepted", async (effort, extra, budget, maxTokens) => {
    const { t, out } = await complete({ model: "claude-3-7-sonnet", reasoning_effort: effort, ...extra, messages: [user("Think about it")] });
    expect(t.body.inferenceConfig!.maxTokens).toBe(maxTokens);
    const message = out.completion.choices[0]!.message;
    if (budget === null) {
      expect(t.thinking).toBe(false);
      expect(t.thinkingDropped).toMatch(/leaves no room for extended thinking/);
      expect(message.reasoning_content).toBeUndefined();
    } else {
      expect(t.body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: budget } });
      expect(message.reasoning_content).toMatch(/^Considering the request/);
    }
  });

  it("Opus 4.5's native effort with a small limit: accepted as sent", async () => {
    const { t, out } = await complete({ model: "claude-opus-4-5", reasoning_effort: "high", max_completion_tokens: 1000, messages: [user("hi")] });
    expect(t.body.outputConfig).toEqual({ effort: "high" });
    expect(t.body.inferenceConfig).toEqual({ maxTokens: 1000 });
    expect(out.completion.choices[0]!.finish_reason).toBe("stop");
  });
});

describe("response_format json_object is enforced", () => {
  it.each(CHAT_MODELS)("%s: plain and streamed answers are one JSON object, finish_reason stop", async (model) => {
    const req = { model, response_format: { type: "json_object" }, messages: [user("List three colours as JSON")] };
    const { t, out } = await complete(req);
    const entry = catalogue.resolve(model)!;
    // The forced tool where the model can be made to call one; the instruction (with a warning) elsewhere.
    expect(t.jsonToolName !== undefined).toBe(entry.tools && entry.toolChoice);
    const choice = out.completion.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.tool_calls).toBeUndefined();
    const parsed = JSON.parse(choice.message.content!);
    expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)).toBe(true);

    const s = await stream({ ...req, stream: true });
    expect(s.finish).toBe("stop");
    expect(s.content).toBe(choice.message.content);
    expect(s.chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "with the client's tools (auto → any), answered through the JSON tool",
      { tools: [{ type: "function", function: { name: "get_time" } }], messages: [user("answer through json_response")] },
      "stop",
    ],
    [
      "with the client's tools, the model calling one",
      { tools: [{ type: "function", function: { name: "get_time" } }], messages: [user("call get_time")] },
      "tool_calls",
    ],
    ["with tool_choice required", { tools: [{ type: "function", function: { name: "get_time" } }], tool_choice: "required" }, "tool_calls"],
    ["with extended thinking (instruction only)", { model: "claude-3-7-sonnet", reasoning_effort: "low" }, "stop"],
    [
      "with thinking and the client's tools forced",
      { model: "claude-3-7-sonnet", reasoning_effort: "low", tools: [{ type: "function", function: { name: "get_time" } }], tool_choice: "required" },
      "stop",
    ],
  ])("json_object %s: accepted", async (_name, extra, finish) => {
    const { out } = await complete({ model: "claude-sonnet-4-5", response_format: { type: "json_object" }, messages: [user("Answer in JSON")], ...extra });
    expect(out.completion.choices[0]!.finish_reason).toBe(finish);
  });
});

describe("requests Bedrock would refuse as they stand", () => {
  it("tool_choice required and json_schema on Llama (no toolChoice there): sent without a forced choice", async () => {
    const tools = [{ type: "function", function: { name: "get_time" } }];
    const forced = await complete({ model: "llama3-3-70b", tools, tool_choice: "required", messages: [user("call get_time")] });
    expect(forced.t.warnings).toEqual(["tool_choice forcing a tool is not supported by model 'llama3-3-70b': sent as auto"]);
    expect(forced.out.completion.choices[0]!.finish_reason).toBe("tool_calls");
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
    const structured = await complete({
      model: "llama3-3-70b",
      response_format: { type: "json_schema", json_schema: { name: "n", schema } },
      messages: [user("n?")],
    });
    expect(structured.t.body.toolConfig).toBeUndefined();
    expect(structured.out.completion.choices[0]!.finish_reason).toBe("stop");
  });

  it('a whitespace-only stop sequence ("\\n") on Claude: dropped with a warning, accepted', async () => {
    const { t, out } = await complete({ model: "claude-sonnet-4-5", stop: ["\n", "END"], messages: [user("hi")] });
    expect(t.body.inferenceConfig!.stopSequences).toEqual(["END"]);
    expect(out.completion.choices[0]!.finish_reason).toBe("stop");
  });

  it("a whitespace-only stop sequence on Nova: kept, accepted and applied", async () => {
    const { t, out } = await complete({ model: "nova-lite", stop: ["\n"], messages: [user("one\ntwo")] });
    expect(t.body.inferenceConfig!.stopSequences).toEqual(["\n"]);
    expect(out.completion.choices[0]!.message.content).toBe("You said: one");
  });

  it("a Claude prefill ending in whitespace: trimmed, accepted", async () => {
    const { t } = await complete({ model: "claude-haiku-4-5", messages: [user("hi"), { role: "assistant", content: "Sure: " }] });
    expect(t.body.messages.at(-1)!.content).toEqual([{ text: "Sure:" }]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a tool name over 64 characters", { tools: [{ type: "function", function: { name: "t".repeat(65) } }] }, "tools[0].function.name"],
    ["more than four stop sequences", { stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["maxTokens 0", { max_completion_tokens: 0 }, "max_completion_tokens"],
  ])("%s: the gateway's own 400, before Bedrock", (_name, extra, param) => {
    let err: unknown;
    try {
      translate({ model: "claude-sonnet-4-5", messages: [user("x")], ...extra });
    } catch (e) {
      err = e;
    }
    if (err instanceof GatewayError) expect(err.param).toBe(param);
    else expect((err as { issues?: { path: unknown[] }[] })?.issues?.[0]?.path.join(".")).toBe(param);
  });
});
