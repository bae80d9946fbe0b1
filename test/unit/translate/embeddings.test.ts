import { describe, expect, it } from "vitest";
import { EmbeddingsRequestSchema, toEmbeddingInvocations, toEmbeddingsResponse } from "../../../src/translate/embeddings";
import { errorOf, model } from "./helpers";

const TITAN = model({ id: "titan", kind: "embedding", tools: false, embeddingFormat: "titan-v2" });
const COHERE = model({ id: "cohere", kind: "embedding", tools: false, embeddingFormat: "cohere-v3" });
const parse = (req: Record<string, unknown>) => EmbeddingsRequestSchema.parse({ model: "e", ...req });

describe("EmbeddingsRequestSchema", () => {
  it.each([
    [{ input: "a" }, true],
    [{ input: ["a", "b"], dimensions: 256, encoding_format: "base64", user: "u" }, true],
    [{ input: [1, 2, 3] }, true],
    [{ input: [[1, 2]] }, true],
    [{ input: ["a", 1] }, false],
    [{ input: 5 }, false],
    [{ input: "a", encoding_format: "int8" }, false],
    [{ input: "a", dimensions: 0 }, false],
  ])("%j → %s", (req, ok) => {
    expect(EmbeddingsRequestSchema.safeParse({ model: "e", ...req }).success).toBe(ok);
  });
});

describe("toEmbeddingInvocations", () => {
  it.each([
    [
      "titan: one call per input",
      TITAN,
      { input: ["a", "b"] },
      [
        { inputText: "a", normalize: true },
        { inputText: "b", normalize: true },
      ],
    ],
    ["titan: dimensions", TITAN, { input: "a", dimensions: 512 }, [{ inputText: "a", dimensions: 512, normalize: true }]],
    ["cohere: one batch", COHERE, { input: ["a", "b"] }, [{ texts: ["a", "b"], input_type: "search_document", truncate: "END" }]],
  ])("%s", (_name, m, req, bodies) => {
    expect(toEmbeddingInvocations(parse(req), m)).toEqual({ bodies });
  });

  it("cohere: batches of at most 96", () => {
    const input = Array.from({ length: 200 }, (_, i) => `t${i}`);
    const { bodies } = toEmbeddingInvocations(parse({ input }), COHERE);
    expect((bodies as { texts: string[] }[]).map((b) => b.texts.length)).toEqual([96, 96, 8]);
    expect((bodies as { texts: string[] }[]).flatMap((b) => b.texts)).toEqual(input);
  });

  it.each([
    ["token array", TITAN, { input: [1, 2, 3] }, "input"],
    ["token arrays", COHERE, { input: [[1, 2]] }, "input"],
    ["empty string", TITAN, { input: "" }, "input"],
    ["empty array", TITAN, { input: [] }, "input"],
    ["empty string in array", TITAN, { input: ["a", ""] }, "input[1]"],
    ["titan bad dimensions", TITAN, { input: "a", dimensions: 300 }, "dimensions"],
    ["cohere dimensions", COHERE, { input: "a", dimensions: 256 }, "dimensions"],
    ["not an embedding model", model(), { input: "a" }, "model"],
  ])("%s → 400", (_name, m, req, param) => {
    expect(errorOf(() => toEmbeddingInvocations(parse(req), m))).toMatchObject({ status: 400, param });
  });
});

describe("toEmbeddingsResponse", () => {
  it("titan float", () => {
    const out = toEmbeddingsResponse(
      [
        { embedding: [0.5, -1], inputTextTokenCount: 3 },
        { embedding: [0.25, 2], inputTextTokenCount: 4 },
      ],
      { model: "client-embed", encodingFormat: "float", inputCount: 2 },
    );
    expect(out).toStrictEqual({
      response: {
        object: "list",
        data: [
          { object: "embedding", index: 0, embedding: [0.5, -1] },
          { object: "embedding", index: 1, embedding: [0.25, 2] },
        ],
        model: "client-embed",
        usage: { prompt_tokens: 7, total_tokens: 7 },
      },
      inputTokens: 7,
    });
  });

  it("base64 is little-endian float32", () => {
    const out = toEmbeddingsResponse([{ embedding: [1, -2], inputTextTokenCount: 1 }], { model: "m", encodingFormat: "base64", inputCount: 1 });
    expect(out.response.data).toEqual([{ object: "embedding", index: 0, embedding: "AACAPwAAAMA=" }]);
  });

  it.each([
    ["plain embeddings", { embeddings: [[1], [2]], id: "x", texts: ["a", "b"] }],
    ["embeddings by type", { embeddings: { float: [[1], [2]] }, response_type: "embeddings_by_type" }],
  ])("cohere %s", (_name, body) => {
    const out = toEmbeddingsResponse([body], { model: "m", encodingFormat: undefined, inputCount: 2 });
    expect(out.response.data.map((d) => d.embedding)).toEqual([[1], [2]]);
  });

  it("header token counts win over body counts", () => {
    const out = toEmbeddingsResponse(
      [
        { embedding: [1], inputTextTokenCount: 3 },
        { embedding: [1], inputTextTokenCount: 4 },
      ],
      { model: "m", encodingFormat: "float", inputCount: 2, headerTokens: [10, null] },
    );
    expect(out.inputTokens).toBe(14);
    const cohere = toEmbeddingsResponse([{ embeddings: [[1]] }], { model: "m", encodingFormat: "float", inputCount: 1, headerTokens: [5] });
    expect(cohere.inputTokens).toBe(5);
  });

  it.each([
    ["wrong shape", [{ vectors: [] }], 1],
    ["count mismatch", [{ embedding: [1] }], 2],
  ])("%s → 502", (_name, results, inputCount) => {
    expect(errorOf(() => toEmbeddingsResponse(results, { model: "m", encodingFormat: "float", inputCount }))).toMatchObject({
      status: 502,
      code: "upstream_invalid_response",
    });
  });
});
