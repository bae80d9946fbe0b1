/** The chat door's SSE encoder: the same text as JSON.stringify of each chunk, for every chunk the translator makes. */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chunkEncoder } from "../../../src/routes/chat-stream";
import type { ChatCompletionChunk } from "../../../src/translate/openai-types";
import { createStreamTranslator } from "../../../src/translate/stream-translator";
import { chunksFixture, fixtureDir } from "../translate/helpers";

const sse = (c: ChatCompletionChunk) => `data: ${JSON.stringify(c)}\n\n`;
const streams = readdirSync(fixtureDir).filter((f) => f.endsWith(".chunks.jsonl"));

describe("chunkEncoder", () => {
  it.each(streams.flatMap((name) => [[name, false] as const, [name, true] as const]))(
    "%s (include_usage %s): byte for byte JSON.stringify",
    (name, includeUsage) => {
      const t = createStreamTranslator({
        id: 'chatcmpl-\u00e9"x',
        created: 1_700_000_000,
        model: "client/model\u2028",
        includeUsage,
        jsonToolName: "json_response",
      });
      const encode = chunkEncoder();
      const chunks: ChatCompletionChunk[] = [];
      let text = "";
      for (const event of chunksFixture(name)) {
        const out = t.push(event);
        chunks.push(...out);
        text += encode(out);
      }
      try {
        t.finish();
      } catch {
        // A fixture of a cut stream: its chunks so far are what is compared.
      }
      expect(chunks.length).toBeGreaterThan(0);
      expect(text).toBe(chunks.map(sse).join(""));
    },
  );

  it("serialises a chunk with another envelope whole", () => {
    const encode = chunkEncoder();
    const a: ChatCompletionChunk = { id: "a", object: "chat.completion.chunk", created: 1, model: "m", choices: [] };
    const b: ChatCompletionChunk = { ...a, id: "b", system_fingerprint: "fp" };
    expect(encode([a, b, a])).toBe([a, b, a].map(sse).join(""));
  });
});
