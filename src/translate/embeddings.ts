/**
 * OpenAI `/v1/embeddings` ⇄ Bedrock InvokeModel bodies for Titan Text Embeddings v2 and Cohere Embed v3.
 */
import { z } from "zod";
import type { ModelEntry } from "../catalogue";
import { GatewayError } from "../errors";
import { float32ToBase64 } from "./base64";

export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))], {
    error: "input must be a string or an array of strings",
  }),
  dimensions: z.number().int().min(1).nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  user: z.string().nullish(),
});
export type EmbeddingsRequest = z.output<typeof EmbeddingsRequestSchema>;

export type EmbeddingEncoding = "float" | "base64";

export type EmbeddingsResponse = {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
};

/** Titan v2 accepts only these output sizes. */
export const TITAN_DIMENSIONS = [256, 512, 1024] as const;
/** Cohere Embed v3 on Bedrock takes at most 96 texts per call. */
export const COHERE_BATCH = 96;

/** The input texts, in order; token arrays (OpenAI's pre-tokenized input) cannot be used with Bedrock models. */
export function embeddingInputs(req: EmbeddingsRequest): string[] {
  const input = req.input;
  if (typeof input === "string") {
    if (input === "") throw GatewayError.invalidRequest("input", "input must not be empty.");
    return [input];
  }
  if (input.length === 0) throw GatewayError.invalidRequest("input", "input must not be an empty array.");
  const texts: string[] = [];
  input.forEach((item, i) => {
    if (typeof item !== "string") {
      throw GatewayError.invalidRequest("input", "Token arrays are not supported: send the input as text.");
    }
    if (item === "") throw GatewayError.invalidRequest(`input[${i}]`, "input strings must not be empty.");
    texts.push(item);
  });
  return texts;
}

/**
 * InvokeModel bodies for the request, in order: one per input for Titan v2, batches of ≤96 for Cohere v3.
 * `search_document` is Cohere's input type for text to be stored and searched, the usual use of this endpoint.
 */
export function toEmbeddingInvocations(req: EmbeddingsRequest, model: ModelEntry): { bodies: unknown[] } {
  const texts = embeddingInputs(req);
  const dimensions = req.dimensions ?? undefined;
  switch (model.embeddingFormat) {
    case "titan-v2": {
      if (dimensions !== undefined && !(TITAN_DIMENSIONS as readonly number[]).includes(dimensions)) {
        throw GatewayError.invalidRequest("dimensions", `dimensions must be one of ${TITAN_DIMENSIONS.join(", ")} for '${model.id}'.`);
      }
      return {
        bodies: texts.map((inputText) => (dimensions !== undefined ? { inputText, dimensions, normalize: true } : { inputText, normalize: true })),
      };
    }
    case "cohere-v3": {
      if (dimensions !== undefined) throw GatewayError.invalidRequest("dimensions", `'${model.id}' does not support dimensions.`);
      const bodies: unknown[] = [];
      for (let i = 0; i < texts.length; i += COHERE_BATCH) {
        bodies.push({ texts: texts.slice(i, i + COHERE_BATCH), input_type: "search_document", truncate: "END" });
      }
      return { bodies };
    }
    case undefined:
      throw GatewayError.invalidRequest("model", `Model '${model.id}' is not an embedding model.`);
    default: {
      const _never: never = model.embeddingFormat;
      return _never;
    }
  }
}

// Tolerant upstream shapes (CONVENTIONS 15): extra fields pass, a wrong shape is a 502, not a TypeError.
const TitanResult = z.looseObject({ embedding: z.array(z.number()), inputTextTokenCount: z.number().optional() });
const CohereResult = z.looseObject({
  embeddings: z.union([z.array(z.array(z.number())), z.looseObject({ float: z.array(z.array(z.number())) })]),
  meta: z.looseObject({ billed_units: z.looseObject({ input_tokens: z.number().optional() }).optional() }).optional(),
});

/**
 * Builds OpenAI's list response from the InvokeModel results (in the order of `toEmbeddingInvocations`).
 * `inputTokens` sums, per result, the `headerTokens` entry when given, else what the body reports (Titan's
 * `inputTextTokenCount`, Cohere's `meta.billed_units`; Cohere on Bedrock usually reports it only in the header).
 */
export function toEmbeddingsResponse(
  results: unknown[],
  meta: {
    model: string;
    encodingFormat: EmbeddingEncoding | null | undefined;
    inputCount: number;
    /** Per result, Bedrock's `x-amzn-bedrock-input-token-count` header; preferred over the body's count when set. */
    headerTokens?: (number | null)[];
  },
): { response: EmbeddingsResponse; inputTokens: number } {
  const vectors: number[][] = [];
  let inputTokens = 0;
  results.forEach((r, i) => {
    const header = meta.headerTokens?.[i];
    const titan = TitanResult.safeParse(r);
    if (titan.success) {
      vectors.push(titan.data.embedding);
      inputTokens += header ?? titan.data.inputTextTokenCount ?? 0;
      return;
    }
    const cohere = CohereResult.safeParse(r);
    if (!cohere.success) throw GatewayError.upstream("Bedrock returned an embedding response of unexpected shape.", "upstream_invalid_response");
    const e = cohere.data.embeddings;
    vectors.push(...(Array.isArray(e) ? e : e.float));
    inputTokens += header ?? cohere.data.meta?.billed_units?.input_tokens ?? 0;
  });
  if (vectors.length !== meta.inputCount) {
    throw GatewayError.upstream(`Bedrock returned ${vectors.length} embeddings for ${meta.inputCount} inputs.`, "upstream_invalid_response");
  }
  const base64 = meta.encodingFormat === "base64";
  return {
    response: {
      object: "list",
      data: vectors.map((v, index) => ({ object: "embedding", index, embedding: base64 ? float32ToBase64(v) : v })),
      model: meta.model,
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    },
    inputTokens,
  };
}
