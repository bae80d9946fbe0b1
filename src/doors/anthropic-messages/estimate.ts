/**
 * Input tokens of a Messages request, estimated before the call by the same rules as Converse requests
 * (usage/estimate.ts: text, images by Anthropic's size rule, PDF pages), for admission, cut streams and the
 * count_tokens fallback. It errs high. Pure.
 */
import type { DocumentFormat, ImageFormat } from "../../bedrock/converse-types";
import { documentTokens, imageTokens, textTokens } from "../../usage/estimate";
import type { CountTokensRequest, InputBlock } from "./schema";

const json = (v: unknown) => (v === undefined ? 0 : textTokens(JSON.stringify(v) ?? ""));

function blockTokens(b: InputBlock): number {
  const x = b as Record<string, unknown> & { type: string };
  switch (x.type) {
    case "text":
      return textTokens(String(x.text ?? ""));
    case "image": {
      const s = x.source as { type: string; media_type?: string; data?: string };
      if (s.type !== "base64" || !s.data) return imageTokens({ format: "png", source: { s3Location: { uri: "" } } });
      return imageTokens({ format: (s.media_type?.split("/")[1] ?? "png") as ImageFormat, source: { bytes: s.data } });
    }
    case "document": {
      const s = x.source as { type: string; media_type?: string; data?: string; content?: unknown };
      if (s.type === "base64")
        return documentTokens({ format: (s.media_type === "application/pdf" ? "pdf" : "txt") as DocumentFormat, name: "d", source: { bytes: s.data ?? "" } });
      return s.type === "text" ? textTokens(s.data ?? "") : json(s.content);
    }
    case "tool_use":
      return textTokens(String(x.name ?? "")) + json(x.input);
    case "tool_result": {
      const c = x.content as string | InputBlock[] | undefined;
      return 4 + (typeof c === "string" ? textTokens(c) : (c ?? []).reduce((n, inner) => n + blockTokens(inner), 0));
    }
    case "thinking":
      return textTokens(String(x.thinking ?? ""));
    case "redacted_thinking":
      return Math.ceil(String(x.data ?? "").length / 4);
    default:
      return json(x);
  }
}

/** Estimated input tokens of a whole Messages request (system, messages, tools). */
export function estimateMessagesInput(req: CountTokensRequest): number {
  let n = 0;
  if (typeof req.system === "string") n += textTokens(req.system);
  else for (const s of req.system ?? []) n += textTokens(s.text);
  for (const m of req.messages) {
    n += 4;
    if (typeof m.content === "string") n += textTokens(m.content);
    else for (const b of m.content) n += blockTokens(b as InputBlock);
  }
  for (const t of req.tools ?? []) n += 8 + textTokens(t.name) + textTokens(t.description ?? "") + json(t.input_schema);
  return n;
}
