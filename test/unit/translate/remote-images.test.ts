import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../../src/translate/openai-types";
import { resolveRemoteImages } from "../../../src/translate/remote-images";
import { CLAUDE, ctxFor, PNG_B64 } from "./helpers";
import { toConverseRequest } from "../../../src/translate/openai-to-converse";

describe("resolveRemoteImages (seam, not wired by default)", () => {
  it("replaces http(s) image URLs in user messages with data URLs from the resolver, leaving the rest", async () => {
    const req = ChatCompletionRequestSchema.parse({
      model: "m",
      messages: [
        { role: "system", content: "s" },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
            { type: "image_url", image_url: { url: `data:image/gif;base64,${PNG_B64}` } },
          ],
        },
      ],
    });
    const seen: string[] = [];
    const out = await resolveRemoteImages(req, async (url) => {
      seen.push(url);
      return { mediaType: "image/png", base64: PNG_B64 };
    });
    expect(seen).toEqual(["https://example.com/a.png"]);
    expect(out.messages[1]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_B64}`, detail: "low" } },
        { type: "image_url", image_url: { url: `data:image/gif;base64,${PNG_B64}` } },
      ],
    });
    expect(req.messages[1]).not.toBe(out.messages[1]);
    expect(toConverseRequest(out, ctxFor(CLAUDE)).body.messages[0]!.content[1]).toEqual({ image: { format: "png", source: { bytes: PNG_B64 } } });
  });
});
