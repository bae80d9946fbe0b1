/**
 * InvokeModel for embedding models. Vectors are deterministic: floats in [-1, 1) drawn from SHA-256 of the text
 * (and a block counter), unit-normalised when asked (Titan `normalize`, default true; Cohere always).
 * Token counts use the same rule as chat: ceil(chars / 4), at least 1.
 *   amazon.titan-embed-text-v2:0  {inputText, dimensions?: 256|512|1024, normalize?, embeddingTypes?}
 *                                 → {embedding, inputTextTokenCount, embeddingsByType?}
 *   cohere.embed-*-v3             {texts (1..96), input_type, truncate?, embedding_types?}
 *                                 → {id, texts, embeddings: number[][] | {float|int8|uint8|binary|ubinary: ...}, response_type}
 */
import { createHash, randomUUID } from "node:crypto";
import { validation } from "./errors";
import type { SimModel } from "./models";
import { charCount, countTokens } from "./usage";
import { isObj, type Obj } from "./wire";

export type EmbeddingResult = { body: Obj; inputTokens: number };

const malformed = (detail: string) => validation(`Malformed input request: ${detail}, please reformat your input and try again.`);

export function embed(text: string, dims: number, normalize: boolean): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dims; block++) {
    const digest = createHash("sha256").update(text).update(`\u0000${block}`).digest();
    for (let i = 0; i + 4 <= digest.length && out.length < dims; i += 4) out.push(digest.readUInt32BE(i) / 2 ** 31 - 1);
  }
  if (!normalize) return out.map((v) => Math.round(v * 1e6) / 1e6);
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => v / norm);
}

function extraneous(body: Obj, allowed: string[]): void {
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  if (extra) throw malformed(`#: extraneous key [${extra}] is not permitted`);
}

function titan(body: Obj): EmbeddingResult {
  extraneous(body, ["inputText", "dimensions", "normalize", "embeddingTypes"]);
  if (body.inputText === undefined) throw malformed("#: required key [inputText] not found");
  if (typeof body.inputText !== "string") throw malformed(`#/inputText: expected type: String, found: ${typeof body.inputText}`);
  if (body.inputText.length === 0) throw malformed("#/inputText: expected minLength: 1, actual: 0");
  const dims = body.dimensions ?? 1024;
  if (dims !== 256 && dims !== 512 && dims !== 1024) throw malformed(`#/dimensions: ${String(dims)} is not a valid enum value`);
  const normalize = body.normalize ?? true;
  if (typeof normalize !== "boolean") throw malformed("#/normalize: expected type: Boolean");
  const embedding = embed(body.inputText, dims, normalize);
  const tokens = countTokens(charCount(body.inputText));
  const out: Obj = { embedding, inputTextTokenCount: tokens };
  if (Array.isArray(body.embeddingTypes)) {
    const byType: Obj = {};
    for (const t of body.embeddingTypes) {
      if (t === "float") byType.float = embedding;
      else if (t === "binary") byType.binary = embedding.map((v) => (v > 0 ? 1 : 0));
      else throw malformed(`#/embeddingTypes: ${String(t)} is not a valid enum value`);
    }
    out.embeddingsByType = byType;
  }
  return { body: out, inputTokens: tokens };
}

const INPUT_TYPES = ["search_document", "search_query", "classification", "clustering"];
const COHERE_TYPES = ["float", "int8", "uint8", "binary", "ubinary"];

function pack(vec: number[], signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < vec.length; i += 8) {
    let byte = 0;
    for (let j = 0; j < 8; j++) byte = (byte << 1) | ((vec[i + j] ?? 0) > 0 ? 1 : 0);
    out.push(signed ? byte - 128 : byte);
  }
  return out;
}

function quantise(vecs: number[][], type: string): number[][] {
  switch (type) {
    case "int8":
      return vecs.map((v) => v.map((x) => Math.max(-128, Math.min(127, Math.round(x * 127 * 8)))));
    case "uint8":
      return vecs.map((v) => v.map((x) => Math.max(0, Math.min(255, Math.round(x * 127 * 8 + 128)))));
    case "binary":
      return vecs.map((v) => pack(v, true));
    case "ubinary":
      return vecs.map((v) => pack(v, false));
    default:
      return vecs;
  }
}

function cohere(body: Obj): EmbeddingResult {
  extraneous(body, ["texts", "images", "input_type", "truncate", "embedding_types"]);
  if (!Array.isArray(body.texts)) throw malformed("#: required key [texts] not found");
  if (body.texts.length < 1 || body.texts.length > 96) throw malformed(`#/texts: expected maximum item count: 96, found: ${body.texts.length}`);
  if (body.input_type === undefined) throw malformed("#: required key [input_type] not found");
  if (!INPUT_TYPES.includes(body.input_type as string)) throw malformed(`#/input_type: ${String(body.input_type)} is not a valid enum value`);
  if (body.truncate !== undefined && !["NONE", "START", "END"].includes(body.truncate as string))
    throw malformed(`#/truncate: ${String(body.truncate)} is not a valid enum value`);
  const texts = body.texts.map((t: unknown, i: number) => {
    if (typeof t !== "string") throw malformed(`#/texts/${i}: expected type: String`);
    if (t.length > 2048 && (body.truncate ?? "NONE") === "NONE") throw malformed(`#/texts/${i}: expected maxLength: 2048, actual: ${t.length}`);
    return t;
  });
  const vectors = texts.map((t: string) => embed(t, 1024, true));
  const tokens = texts.reduce((n: number, t: string) => n + countTokens(charCount(t)), 0);
  const types = body.embedding_types;
  if (types === undefined) return { body: { id: randomUUID(), texts, embeddings: vectors, response_type: "embeddings_floats" }, inputTokens: tokens };
  if (!Array.isArray(types) || types.some((t) => !COHERE_TYPES.includes(t as string))) throw malformed("#/embedding_types: not a valid enum value");
  const embeddings = Object.fromEntries(types.map((t) => [t, quantise(vectors, t as string)]));
  return { body: { id: randomUUID(), texts, embeddings, response_type: "embeddings_by_type" }, inputTokens: tokens };
}

export function invokeEmbedding(model: SimModel, raw: unknown): EmbeddingResult {
  if (model.kind !== "embedding") {
    throw validation("bedrock-simulator: InvokeModel is simulated for embedding models only; use Converse for chat models.");
  }
  if (!isObj(raw)) throw malformed("#: expected type: JSONObject");
  return model.embedding === "titan-v2" ? titan(raw) : cohere(raw);
}
