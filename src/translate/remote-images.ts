/**
 * Seam for server-side fetching of `https://` images. Translation itself is synchronous and never fetches; a route
 * that enables remote images runs this first, with a resolver that enforces SSRF rules (only public
 * addresses, checked again on every redirect; size and time limits). Not wired by default.
 */
import type { ResolveRemoteImage } from "./content-parts";
import type { ChatCompletionRequest, ContentPart } from "./openai-types";

export type { ResolveRemoteImage } from "./content-parts";

/** Returns a copy of `req` whose http(s) image URLs in user messages are replaced by data URLs from `resolve`. */
export async function resolveRemoteImages(req: ChatCompletionRequest, resolve: ResolveRemoteImage, signal?: AbortSignal): Promise<ChatCompletionRequest> {
  const messages = await Promise.all(
    req.messages.map(async (m) => {
      if (m.role !== "user" || typeof m.content === "string") return m;
      const content = await Promise.all(m.content.map((p) => resolvePart(p, resolve, signal)));
      return { ...m, content };
    }),
  );
  return { ...req, messages };
}

async function resolvePart(part: ContentPart, resolve: ResolveRemoteImage, signal?: AbortSignal): Promise<ContentPart> {
  if (part.type !== "image_url" || !/^https?:\/\//i.test(part.image_url.url)) return part;
  const { mediaType, base64 } = await resolve(part.image_url.url, signal);
  return { ...part, image_url: { ...part.image_url, url: `data:${mediaType};base64,${base64}` } };
}
