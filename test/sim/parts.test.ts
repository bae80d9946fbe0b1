/** The simulator's pure parts: directive parsing, schema sampling, model resolution, and the gateway catalogue fit. */
import { Sha256 } from "@aws-crypto/sha256-js";
import { describe, expect, it } from "vitest";
import { parseDirectives, scopeDirectives } from "../../sim/directives";
import { resolveModel, SIM_MODELS } from "../../sim/models";
import { sampleFromSchema } from "../../sim/schema-sample";
import { NodeSha256 } from "../../sim/sigv4";
import { staticCatalogue } from "../../src/models/catalogue";

describe("directives", () => {
  it.each([
    ["[sim:error=ThrottlingException] hi", { error: "ThrottlingException" }, "hi"],
    [
      "a [sim:fail-first=2:ModelNotReadyException:n1] b",
      { failFirst: { count: 2, error: "ModelNotReadyException", key: "[sim:fail-first=2:ModelNotReadyException:n1]" } },
      "a b",
    ],
    ["[sim:stream-error-after=3:ThrottlingException]", { streamErrorAfter: { deltas: 3, type: "throttlingException" } }, ""],
    ["[sim:reset-after=4][sim:truncate-after=5][sim:corrupt-crc-after=6]", { resetAfter: 4, truncateAfter: 5, corruptCrcAfter: 6 }, ""],
    ["[sim:delay=10] [sim:ttfb=20] [sim:chunk-bytes=1] x", { delayMs: 10, ttfbMs: 20, chunkBytes: 1 }, "x"],
    ["[sim:first-frame-delay=30] x", { firstFrameDelayMs: 30 }, "x"],
    ["[sim:stop=guardrail_intervened] [sim:words=3]", { stop: "guardrail_intervened", words: 3 }, ""],
    ["[sim:unicode][sim:no-output][sim:echo-request][sim:parallel-tools]", { unicode: true, noOutput: true, echoRequest: true, parallelTools: true }, ""],
    [
      "[sim:error=ThrottlingException] [sim:when-model=us.amazon.nova-pro-v1:0] [sim:when-region=us-west-2] x",
      { error: "ThrottlingException", whenModel: "us.amazon.nova-pro-v1:0", whenRegion: "us-west-2" },
      "x",
    ],
    ["no directives at all [not:sim]", {}, "no directives at all [not:sim]"],
  ])("%s", (text, directives, cleaned) => {
    expect(parseDirectives([text])).toEqual({ directives, cleaned: [cleaned] });
  });

  it.each([
    ["no scope", {}, { modelId: "m", region: "us-east-1" }, true],
    ["matching model", { whenModel: "m" }, { modelId: "m", region: "us-east-1" }, true],
    ["other model", { whenModel: "m" }, { modelId: "n", region: "us-east-1" }, false],
    ["matching region", { whenRegion: "us-west-2" }, { modelId: "m", region: "us-west-2" }, true],
    ["model matches, region does not", { whenModel: "m", whenRegion: "us-west-2" }, { modelId: "m", region: "us-east-1" }, false],
  ])("when-* scope: %s", (_, scope, request, applies) => {
    const d = { ...scope, error: "ThrottlingException" as const, ttfbMs: 5, delayMs: 5, words: 3 };
    expect(scopeDirectives(d, request)).toEqual(applies ? d : { ...scope, words: 3 });
  });

  it.each([
    "[sim:nope]",
    "[sim:words=x]",
    "[sim:when-model]",
    "[sim:when-region=mars]",
    "[sim:error=Nope]",
    "[sim:stream-error-after=1:accessDeniedException]",
    "[sim:unicode=1]",
    "[sim:chunk-bytes=0]",
  ])("rejects %s", (text) => expect(() => parseDirectives([text])).toThrow(/bedrock-simulator: directive/));
});

describe("schema sampling", () => {
  const schema = {
    type: "object",
    properties: {
      s: { type: "string", minLength: 8 },
      e: { enum: ["x", "y"] },
      n: { type: "number", minimum: 2.5 },
      i: { type: "integer", exclusiveMinimum: 0, maximum: 9 },
      b: { type: "boolean" },
      d: { type: "string", format: "date" },
      o: { type: "object", properties: { deep: { $ref: "#/$defs/leaf" } }, required: ["deep"] },
      a: { type: "array", items: { type: ["string", "null"] }, minItems: 2 },
      u: { anyOf: [{ type: "null" }, { type: "integer" }] },
      optional: { type: "string" },
    },
    required: ["s", "e", "n", "i", "b", "d", "o", "a", "u"],
    $defs: { leaf: { const: 42 } },
  };

  it("fills required properties by type for tool inputs", () => {
    expect(sampleFromSchema(schema, { allProperties: false, text: "sample" })).toEqual({
      s: "samplexx",
      e: "x",
      n: 2.5,
      i: 1,
      b: true,
      d: "2025-01-01",
      o: { deep: 42 },
      a: ["sample", "sample"],
      u: 1,
    });
  });

  it("fills every property for structured output", () => {
    expect(sampleFromSchema(schema, { allProperties: true, text: "t" })).toHaveProperty("optional", "t");
  });
});

describe("models", () => {
  it("knows every Bedrock id of the gateway's default catalogue, with matching capabilities", () => {
    for (const entry of staticCatalogue().models) {
      const resolved = resolveModel(entry.bedrockModelId, "us-east-1");
      expect(resolved, entry.bedrockModelId).toBeDefined();
      const m = resolved!.model;
      expect(m.kind, entry.id).toBe(entry.kind ?? "chat");
      if (entry.caching) expect(m.caching, entry.id).toBe(true);
      if (entry.reasoning === "claude-thinking") expect(m.thinking, entry.id).toBe(true);
      if (entry.structuredOutput === "native") expect(m.structuredOutput, entry.id).toBe(true);
      if (entry.temperatureTopPConflict) expect(m.temperatureTopPConflict, entry.id).toBe(true);
      if (entry.vision) expect(m.vision, entry.id).toBe(true);
      if (m.kind === "chat") {
        // A forced tool choice on a model that rejects it is a 400; one the catalogue withholds is a lost feature.
        expect(m.toolChoice, entry.id).toBe(entry.toolChoice ?? true);
        expect(m.provider === "Anthropic", entry.id).toBe(entry.strictWhitespace ?? false);
      }
      // The base id (without the geo prefix) is known too.
      expect(resolveModel(entry.bedrockModelId.replace(/^(us|eu|apac|global)\./, ""), "us-east-1")).toBeDefined();
    }
  });

  it.each([
    ["arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0", false],
    ["arn:aws:bedrock:us-east-1:999999999999:inference-profile/us.amazon.nova-pro-v1:0", false],
    ["arn:aws:bedrock:us-east-1::inference-profile/us.amazon.nova-pro-v1:0", false],
    ["arn:aws:bedrock:us-east-1:123456789012:foundation-model/amazon.nova-pro-v1:0", false],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", true],
    ["global.amazon.nova-pro-v1:0", false],
  ])("resolves %s: %s", (id, ok) => {
    expect(resolveModel(id, "us-east-1") !== undefined).toBe(ok);
  });

  it("has unique ids", () => {
    expect(new Set(SIM_MODELS.map((m) => m.id)).size).toBe(SIM_MODELS.length);
  });
});

describe("NodeSha256", () => {
  it.each([[undefined], ["key"], [new Uint8Array([1, 2, 3])]])("matches @aws-crypto/sha256-js with secret %s", async (secret) => {
    const [ours, ref] = [new NodeSha256(secret), new Sha256(secret)];
    for (const h of [ours, ref]) {
      h.update(new TextEncoder().encode("hello "));
      h.update(new TextEncoder().encode("wörld"));
    }
    expect(await ours.digest()).toEqual(await ref.digest());
  });
});
