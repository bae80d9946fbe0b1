/** Prompt caching (write once, read afterwards) and InvokeModel embeddings through the AWS SDK. */
import { ConverseCommand, ConverseStreamCommand, InvokeModelCommand, type ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { embed } from "../../sim/embeddings";
import { awsFetch, sdkClient, SONNET, useSimulator } from "./helpers";

const { sim } = useSimulator();

describe("prompt caching", () => {
  const system = "S".repeat(400); // 100 tokens
  const request = (question: string, nonce: string): ConverseCommandInput => ({
    modelId: SONNET,
    system: [{ text: `${nonce}${system}` }, { cachePoint: { type: "default" } }],
    messages: [{ role: "user", content: [{ text: question }] }],
  });

  it("writes the prefix the first time and reads it afterwards; inputTokens excludes both", async () => {
    const nonce = Math.random().toString(36).slice(2, 10); // 8 chars → the prefix is 408 chars = 102 tokens
    const first = await sdkClient(sim()).send(new ConverseCommand(request("first question", nonce)));
    expect(first.usage).toMatchObject({ inputTokens: 4, cacheWriteInputTokens: 102, cacheReadInputTokens: 0 });
    expect(first.usage!.totalTokens).toBe(4 + 102 + first.usage!.outputTokens!);
    const second = await sdkClient(sim()).send(new ConverseCommand(request("a different question", nonce)));
    expect(second.usage).toMatchObject({ inputTokens: 5, cacheWriteInputTokens: 0, cacheReadInputTokens: 102 });
    // A stream reports the same usage in its metadata event.
    const res = await sdkClient(sim()).send(new ConverseStreamCommand(request("a different question", nonce)));
    let usage;
    for await (const e of res.stream!) usage = e.metadata?.usage ?? usage;
    expect(usage).toEqual(second.usage);
  });

  it("reads the longest cached prefix and writes the rest", async () => {
    const nonce = Math.random().toString(36).slice(2, 10);
    await sdkClient(sim()).send(new ConverseCommand(request("q", nonce)));
    const longer = request("q", nonce);
    longer.messages = [{ role: "user", content: [{ text: "M".repeat(40) }, { cachePoint: { type: "default" } }, { text: "q" }] }];
    const res = await sdkClient(sim()).send(new ConverseCommand(longer));
    expect(res.usage).toMatchObject({ cacheReadInputTokens: 102, cacheWriteInputTokens: 10, inputTokens: 1 });
  });

  it("forgets the cache on reset", async () => {
    const nonce = Math.random().toString(36).slice(2, 10);
    await sdkClient(sim()).send(new ConverseCommand(request("q", nonce)));
    sim().reset();
    const again = await sdkClient(sim()).send(new ConverseCommand(request("q", nonce)));
    expect(again.usage!.cacheWriteInputTokens).toBe(102);
    expect(sim().stats().requests).toBe(1);
  });
});

describe("InvokeModel embeddings", () => {
  const invoke = async (modelId: string, body: unknown) => {
    const res = await sdkClient(sim()).send(
      new InvokeModelCommand({ modelId, contentType: "application/json", accept: "application/json", body: JSON.stringify(body) }),
    );
    return JSON.parse(new TextDecoder().decode(res.body)) as Record<string, any>;
  };

  it("embeds with Titan v2: dimensions, unit norm, determinism, token count", async () => {
    const a = await invoke("amazon.titan-embed-text-v2:0", { inputText: "hello world", dimensions: 256 });
    expect(a.embedding).toHaveLength(256);
    expect(a.inputTextTokenCount).toBe(3);
    expect(Math.hypot(...a.embedding)).toBeCloseTo(1, 6);
    expect((await invoke("amazon.titan-embed-text-v2:0", { inputText: "hello world", dimensions: 256 })).embedding).toEqual(a.embedding);
    expect((await invoke("amazon.titan-embed-text-v2:0", { inputText: "hello world" })).embedding).toHaveLength(1024);
    const raw = await invoke("amazon.titan-embed-text-v2:0", { inputText: "hello world", dimensions: 256, normalize: false });
    expect(Math.hypot(...raw.embedding)).not.toBeCloseTo(1, 2);
  });

  it("embeds with Cohere v3, floats or by type, and sends the token count header", async () => {
    const res = await fetchInvoke("cohere.embed-english-v3", { texts: ["a", "bb bb"], input_type: "search_document" });
    expect(res.headers.get("x-amzn-bedrock-input-token-count")).toBe("3");
    const floats = (await res.json()) as Record<string, any>;
    expect(floats).toMatchObject({ texts: ["a", "bb bb"], response_type: "embeddings_floats", id: expect.any(String) });
    expect(floats.embeddings).toHaveLength(2);
    expect(floats.embeddings[0]).toEqual(embed("a", 1024, true));
    const typed = await invoke("cohere.embed-multilingual-v3", { texts: ["a"], input_type: "search_query", embedding_types: ["float", "int8"] });
    expect(typed.response_type).toBe("embeddings_by_type");
    expect(typed.embeddings.float[0]).toHaveLength(1024);
    expect(typed.embeddings.int8[0].every((v: number) => Number.isInteger(v) && v >= -128 && v <= 127)).toBe(true);
  });

  it("honours error directives in embedding input, and embeds the text without them", async () => {
    const nonce = Math.random();
    const first = await invoke("amazon.titan-embed-text-v2:0", { inputText: `[sim:fail-first=1:ThrottlingException:${nonce}] hi` }).catch((e) => e);
    expect(first.name).toBe("ThrottlingException");
    const second = await invoke("amazon.titan-embed-text-v2:0", { inputText: `[sim:fail-first=1:ThrottlingException:${nonce}] hi` });
    expect(second.embedding).toEqual(embed("hi", 1024, true));
  });

  it.each([
    ["amazon.titan-embed-text-v2:0", { inputText: "x", dimensions: 300 }, /#\/dimensions: 300 is not a valid enum value/],
    ["amazon.titan-embed-text-v2:0", { text: "x" }, /extraneous key \[text\] is not permitted/],
    ["cohere.embed-english-v3", { texts: ["x"] }, /required key \[input_type\] not found/],
    ["us.amazon.nova-lite-v1:0", { inputText: "x" }, /Claude models only/],
  ])("%s rejects %j", async (modelId, body, message) => {
    const err = await invoke(modelId, body).catch((e) => e);
    expect(err.name).toBe("ValidationException");
    expect(err.message).toMatch(message);
  });

  function fetchInvoke(modelId: string, body: unknown): Promise<Response> {
    return awsFetch().fetch(`${sim().url}/model/${encodeURIComponent(modelId)}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }
});
