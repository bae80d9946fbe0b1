import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { ConverseResponse, ConverseStreamEvent } from "../../../src/bedrock/converse-types";
import { ModelEntrySchema, type ModelEntry, type ModelEntryInput } from "../../../src/catalogue";
import { GatewayError } from "../../../src/errors";
import { ChatCompletionRequestSchema } from "../../../src/translate/openai-types";
import { toConverseRequest, type TranslateContext, type TranslatedRequest } from "../../../src/translate/openai-to-converse";

export const model = (o: Partial<ModelEntryInput> = {}): ModelEntry => ModelEntrySchema.parse({ id: "test-model", bedrockModelId: "test.model-v1:0", ...o });

/** No vision/documents/caching/reasoning, tool-based structured output. */
export const PLAIN = model({ id: "plain", defaultMaxTokens: 1000, maxOutputTokens: 4000 });
/** Claude 4.5-like: everything on, native structured output. */
export const CLAUDE = model({
  id: "claude",
  reasoning: "claude-thinking",
  vision: true,
  documents: true,
  caching: true,
  structuredOutput: "native",
  temperatureTopPConflict: true,
  strictWhitespace: true,
  defaultMaxTokens: 8192,
  maxOutputTokens: 64000,
});
/** Claude 3.7-like: thinking but tool-based structured output. */
export const CLAUDE37 = model({
  id: "claude37",
  reasoning: "claude-thinking",
  vision: true,
  documents: true,
  caching: true,
  strictWhitespace: true,
  defaultMaxTokens: 8192,
  maxOutputTokens: 64000,
});
export const NOVA = model({
  id: "nova",
  reasoning: "output-effort",
  vision: true,
  documents: true,
  caching: true,
  defaultMaxTokens: 5000,
  maxOutputTokens: 10000,
});

export const ctxFor = (m: ModelEntry, o: Partial<TranslateContext> = {}): TranslateContext => ({
  model: m,
  allowPassthrough: false,
  temperatureAboveOne: "reject",
  reasoningFor: () => undefined,
  ...o,
});

/** Validates `req` with the real schema (as the route does) and translates it. */
export function translate(req: Record<string, unknown>, m: ModelEntry = PLAIN, o: Partial<TranslateContext> = {}): TranslatedRequest {
  return toConverseRequest(ChatCompletionRequestSchema.parse({ model: "client-model", ...req }), ctxFor(m, o));
}

/** The GatewayError a translation throws (fails the test if it does not throw one). */
export function translateError(req: Record<string, unknown>, m: ModelEntry = PLAIN, o: Partial<TranslateContext> = {}) {
  return errorOf(() => translate(req, m, o));
}

export function errorOf(fn: () => unknown): { status: number; param: string | null; code: string | null; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    return { status: e.status, param: e.param, code: e.code, message: e.message };
  }
  throw new Error("expected a GatewayError");
}

export const user = (content: unknown, extra: Record<string, unknown> = {}) => ({ role: "user", content, ...extra });
export const assistant = (content: unknown, extra: Record<string, unknown> = {}) => ({ role: "assistant", content, ...extra });
export const call = (id: string, name: string, args = "{}") => ({ id, type: "function", function: { name, arguments: args } });

/** 8 bytes ("\x89PNG\r\n\x1a\n"). */
export const PNG_B64 = "iVBORw0KGgo=";
export const PDF_B64 = "JVBERi0xLjQK";

const FIXTURES = fileURLToPath(new URL("../../fixtures/bedrock/", import.meta.url));

export const fixture = (name: string): ConverseResponse => JSON.parse(readFileSync(FIXTURES + name, "utf8")) as ConverseResponse;

export const chunksFixture = (name: string): ConverseStreamEvent[] =>
  readFileSync(FIXTURES + name, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as ConverseStreamEvent);

export const fixtureDir = FIXTURES;
