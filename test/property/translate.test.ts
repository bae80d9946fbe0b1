/**
 * Property: any request the Chat Completions schema accepts either translates into a Converse body that Bedrock's
 * service model accepts (shapes, required members, unions, enums, lengths, ranges) or is refused with a 400
 * GatewayError naming a field. No other exception, for any model of the catalogue.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { staticCatalogue } from "../../src/models/catalogue";
import { ChatCompletionRequestSchema } from "../../src/translate/openai-types";
import { toConverseRequest } from "../../src/translate/openai-to-converse";
import { PDF_DATA_URL, PNG_1PX } from "../fixtures/media";
import { params } from "./runs";
import { validateShape } from "./service-model";

const catalogue = staticCatalogue();
const chatModels = catalogue.models.filter((m) => m.kind === "chat");

// ---- arbitraries: OpenAI request pieces, biased towards the edges (blank text, odd names, limits) ----

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom("", " ", "\n", "\t\n ", "hello", "Use the tool please", "{}", '{"a":1}', "[1,2]") },
);
const cache = fc.option(
  fc.record({ type: fc.constant("ephemeral" as const), ttl: fc.option(fc.constantFrom("5m" as const, "1h" as const), { nil: undefined }) }),
  {
    nil: undefined,
  },
);
const toolName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("get_weather", "search", "f", "a-b_c", "x".repeat(64)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
);
const jsonArgs = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.constantFrom("", "{}", '{"city":"Paris"}', "  ") },
  { weight: 1, arbitrary: fc.constantFrom("[]", "null", "not json", '"s"', "{", "1e999") },
);
const imageUrl = fc.oneof(
  fc.constant(PNG_1PX),
  fc.constantFrom(
    "data:image/jpeg;base64,/9j/4AAQ",
    "data:image/webp;base64,UklGRg==",
    "data:image/tiff;base64,AAAA",
    "data:image/png;base64,not base64!",
    "data:image/png,raw",
    "https://example.com/a.png",
    "http://example.com/a.png",
    "s3://bucket/key.png",
    "s3://bucket/key.bmp",
    "s3://bucket",
    "",
    "ftp://x",
  ),
);
const part = fc.oneof(
  { weight: 12, arbitrary: fc.record({ type: fc.constant("text"), text, cache_control: cache }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("image_url"),
      image_url: fc.record({ url: imageUrl, detail: fc.option(fc.constantFrom("auto", "low", "high"), { nil: undefined }) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("file"),
      file: fc.record(
        {
          file_data: fc.option(fc.constantFrom(PDF_DATA_URL, "data:text/csv;base64,YSxiCjEsMgo=", "JVBERi0=", "data:application/zip;base64,UEsDBA==", "???"), {
            nil: undefined,
          }),
          filename: fc.option(fc.constantFrom("report.pdf", "Q3 numbers (final).csv", "", "a/b\\c.txt", "x.unknown", "ünïcödé.md"), { nil: undefined }),
          file_id: fc.option(fc.constant("file-abc"), { nil: undefined }),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("refusal"), refusal: text }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("input_audio"), input_audio: fc.record({ data: fc.constant("AAAA"), format: fc.constant("wav") }) }) },
);
const content = fc.oneof(text, fc.array(part, { maxLength: 4 }));
const textContent = fc.oneof(text, fc.array(fc.record({ type: fc.constant("text"), text, cache_control: cache }), { maxLength: 3 }));
const callId = fc.oneof(fc.constantFrom("call_1", "call_2", "toolu_01", "call_fn_0"), fc.string({ minLength: 1, maxLength: 70 }));
const toolCall = fc.record({ id: callId, type: fc.constant("function" as const), function: fc.record({ name: toolName, arguments: jsonArgs }) });

const message = fc.oneof(
  { weight: 2, arbitrary: fc.record({ role: fc.constantFrom("system", "developer"), content: textContent, cache_control: cache }) },
  { weight: 6, arbitrary: fc.record({ role: fc.constant("user"), content, cache_control: cache }, { requiredKeys: ["role", "content"] }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        role: fc.constant("assistant"),
        content: fc.option(textContent, { nil: null }),
        tool_calls: fc.option(fc.array(toolCall, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        function_call: fc.option(fc.record({ name: toolName, arguments: jsonArgs }), { nil: undefined, freq: 8 }),
        reasoning_content: fc.option(text, { nil: undefined, freq: 6 }),
        thinking_blocks: fc.option(
          fc.array(
            fc.oneof(
              fc.record({ type: fc.constant("thinking"), thinking: text, signature: fc.option(fc.constantFrom("sig", ""), { nil: undefined }) }),
              fc.record({ type: fc.constant("redacted_thinking"), data: fc.constantFrom("AAAA", "b64") }),
            ),
            { maxLength: 2 },
          ),
          { nil: undefined, freq: 6 },
        ),
      },
      { requiredKeys: ["role"] },
    ),
  },
  { weight: 3, arbitrary: fc.record({ role: fc.constant("tool"), content: textContent, tool_call_id: callId }) },
  { weight: 1, arbitrary: fc.record({ role: fc.constant("function"), name: toolName, content: fc.option(text, { nil: null }) }) },
);

const schema = fc.oneof(
  fc.constant({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
  fc.constant({ type: "object" }),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
const tool = fc.record({
  type: fc.constant("function" as const),
  function: fc.record(
    {
      name: toolName,
      description: fc.option(text, { nil: undefined }),
      parameters: fc.option(schema, { nil: undefined }),
      strict: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: ["name"] },
  ),
  cache_control: cache,
});

/** Mostly absent: each field that can be refused on its own should leave room for the others to be exercised. */
const rare = <T>(arb: fc.Arbitrary<T>, weight = 4) => fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** A coherent tool conversation: the user asks, the assistant calls, each call gets its result, the user goes on. */
const conversation = fc
  .tuple(
    content,
    fc.array(fc.record({ name: toolName, arguments: jsonArgs }), { minLength: 1, maxLength: 3 }),
    textContent,
    fc.option(content, { nil: undefined }),
  )
  .map(([ask, calls, result, next]) => {
    const ids = calls.map((_, k) => `call_${k}`);
    return [
      { role: "user", content: ask },
      { role: "assistant", content: null, tool_calls: calls.map((f, k) => ({ id: ids[k]!, type: "function" as const, function: f })) },
      ...ids.map((id) => ({ role: "tool", tool_call_id: id, content: result })),
      ...(next === undefined ? [] : [{ role: "user", content: next }]),
    ];
  });

const request = fc.record({
  model: fc.constantFrom(...chatModels.map((m) => m.id)),
  messages: fc.oneof(
    fc.array(message, { minLength: 1, maxLength: 7 }),
    fc.tuple(fc.array(message, { maxLength: 2 }), conversation).map(([head, tail]) => [...head, ...tail]),
    fc.tuple(textContent, content).map(([system, user]) => [
      { role: "system", content: system },
      { role: "user", content: user },
    ]),
  ),
  stream: rare(fc.boolean(), 1),
  max_tokens: rare(fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.constantFrom(1, 1024, 1279, 1280, 4096, 8192, 10_000, 64_000, 128_000)), 2),
  max_completion_tokens: rare(fc.integer({ min: 1, max: 200_000 })),
  temperature: rare(fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(0, 1, 1.5, 2)), 2),
  top_p: rare(fc.double({ min: 0, max: 1, noNaN: true }), 2),
  stop: rare(fc.oneof(text, fc.array(text, { maxLength: 6 })), 2),
  n: rare(fc.constantFrom(1, 1, 1, 2), 2),
  logprobs: rare(fc.constantFrom(false, false, false, true), 2),
  seed: rare(fc.integer()),
  user: rare(text),
  parallel_tool_calls: rare(fc.boolean()),
  tools: rare(fc.array(tool, { maxLength: 3 }), 1),
  tool_choice: rare(
    fc.oneof(fc.constantFrom("none", "auto", "required"), fc.record({ type: fc.constant("function" as const), function: fc.record({ name: toolName }) })),
    3,
  ),
  functions: rare(fc.array(fc.record({ name: toolName, parameters: fc.option(schema, { nil: undefined }) }, { requiredKeys: ["name"] }), { maxLength: 2 }), 6),
  function_call: rare(fc.oneof(fc.constantFrom("none", "auto"), fc.record({ name: toolName })), 6),
  response_format: rare(
    fc.oneof(
      fc.constant({ type: "text" }),
      fc.constant({ type: "json_object" }),
      fc.record({
        type: fc.constant("json_schema"),
        json_schema: fc.record(
          { name: fc.oneof(toolName, fc.constant("answer")), schema: fc.option(schema, { nil: undefined }), strict: fc.boolean() },
          { requiredKeys: ["name"] },
        ),
      }),
    ),
    2,
  ),
  reasoning_effort: rare(fc.constantFrom("none", "minimal", "low", "medium", "high", "xhigh"), 2),
  additionalModelRequestFields: rare(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), 10),
  guardrailConfig: rare(
    fc.record(
      {
        // Identifiers as Bedrock issues them (GuardrailIdentifier's pattern); the gateway passes them on unchecked.
        guardrailIdentifier: fc.constantFrom("abc123def456", "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456"),
        guardrailVersion: fc.constantFrom("1", "DRAFT"),
        trace: fc.constantFrom("enabled", "disabled", "enabled_full"),
        streamProcessingMode: fc.constantFrom("sync", "async"),
      },
      { requiredKeys: ["guardrailIdentifier", "guardrailVersion"] },
    ),
    10,
  ),
});

/**
 * The same requests with the fields that are refused on their own made acceptable, so that most cases reach
 * translation's later steps (turns, tools, reasoning, response formats) instead of stopping at the first refusal.
 */
const tameMessages = fc.oneof(
  conversation,
  fc.tuple(textContent, content).map(([system, user]) => [
    { role: "system", content: system },
    { role: "user", content: user },
  ]),
  fc.tuple(content, textContent, content).map(([a, b, c]) => [
    { role: "user", content: a },
    { role: "assistant", content: b },
    { role: "user", content: c },
  ]),
);
const withoutRefusedParts = (m: { content?: unknown }) =>
  Array.isArray(m.content)
    ? { ...m, content: m.content.filter((p: { type: string; file?: { file_id?: string } }) => p.type !== "input_audio" && !p.file?.file_id) }
    : m;
const tame = fc.tuple(request, tameMessages).map(([r, messages]) => {
  const { n: _n, logprobs: _l, additionalModelRequestFields: _a, guardrailConfig: _g, functions: _f, function_call: _c, ...rest } = r;
  const tools = r.tools?.filter((t, i, all) => all.findIndex((u) => u.function.name === t.function.name) === i);
  return {
    ...rest,
    messages: (messages as { content?: unknown }[]).map(withoutRefusedParts),
    tools,
    tool_choice: r.tools?.length ? r.tool_choice : undefined,
    temperature: r.temperature === undefined ? undefined : Math.min(1, r.temperature),
    stop: Array.isArray(r.stop) ? r.stop.slice(0, 4) : r.stop,
  };
});

const context = fc.record({ allowPassthrough: fc.boolean(), temperatureAboveOne: fc.constantFrom("reject" as const, "clamp" as const) });

describe("OpenAI request → Converse body", () => {
  it("is valid for Bedrock's service model, or a 400 naming a field", () => {
    let translated = 0;
    let refused = 0;
    const byParam = new Map<string, number>();
    fc.assert(
      fc.property(fc.oneof({ weight: 2, arbitrary: tame }, { weight: 1, arbitrary: request }), context, (raw, ctx) => {
        const parsed = ChatCompletionRequestSchema.safeParse(JSON.parse(JSON.stringify(raw)));
        if (!parsed.success) return; // the route answers these with zod's 400 before translation
        const model = catalogue.resolve(parsed.data.model)!;
        let out: ReturnType<typeof toConverseRequest>;
        try {
          out = toConverseRequest(parsed.data, { model, ...ctx, reasoningFor: () => undefined });
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
          expect(err.status).toBe(400);
          expect(err.type).toBe("invalid_request_error");
          expect(typeof err.param === "string" && err.param.length > 0, `param of: ${err.message}`).toBe(true);
          refused++;
          byParam.set(err.param!.replace(/\d+/g, "N"), (byParam.get(err.param!.replace(/\d+/g, "N")) ?? 0) + 1);
          return;
        }
        translated++;
        const problems = validateShape(parsed.data.stream ? "ConverseStreamRequest" : "ConverseRequest", out.body);
        expect(problems, JSON.stringify(out.body).slice(0, 2000)).toEqual([]);
        if (out.body.inferenceConfig?.maxTokens !== undefined) expect(out.body.inferenceConfig.maxTokens).toBeLessThanOrEqual(model.maxOutputTokens);
      }),
      params(),
    );
    if (process.env.FUZZ_RUNS) {
      const top = [...byParam].sort((x, y) => y[1] - x[1]).slice(0, 15);
      console.log(`translated ${translated}, refused ${refused}; refusals by param:`, Object.fromEntries(top));
    }
    // Both outcomes must actually be exercised, or the property says little.
    expect(translated).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
