import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, e2e, openaiClient, simStats, usageFor, type TestKey } from "../support/e2e";

const MODEL = "claude-sonnet-4-5";

describe(`chat completions (${e2e().runtime})`, () => {
  let key: TestKey;
  let client: OpenAI;
  beforeAll(async () => {
    key = await createTestKey("chat");
    client = openaiClient(key.key);
  });
  afterAll(async () => key.revoke());

  it("answers a plain completion in OpenAI's shape and records one usage row", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: MODEL,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hello gateway" },
        ],
      })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.model).toBe(MODEL);
    expect(typeof data.created).toBe("number");
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]!.message.role).toBe("assistant");
    expect(data.choices[0]!.message.content).toContain("Hello gateway");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toBeTruthy();

    const rows = await usageFor(key.id, 1);
    const row = rows.find((r) => r.requestId === requestId)!;
    expect(row).toBeDefined();
    expect(row).toMatchObject({ status: "ok", httpStatus: 200, model: MODEL, stream: false, userEmail: key.user, team: key.team });
    expect(row.inputTokens).toBe(data.usage!.prompt_tokens);
    expect(row.outputTokens).toBe(data.usage!.completion_tokens);
    expect(row.costMicros).toBeGreaterThan(0);
  });

  it("streams chunks with the role first, content deltas, finish_reason and a usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Stream this please [sim:words=40]" }],
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^chatcmpl-/);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === MODEL)).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text.split(/\s+/).filter(Boolean).length).toBeGreaterThanOrEqual(40);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(3);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish!.choices[0]!.finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);

    const rows = await usageFor(key.id, 2);
    const row = rows.find((r) => r.stream)!;
    expect(row).toMatchObject({ status: "ok", httpStatus: 200, stream: true, estimated: false });
    expect(row.outputTokens).toBe(last.usage!.completion_tokens);
    expect(row.ttftMs).not.toBeNull();
  });

  it("reassembles multibyte text split across frames and TCP writes byte-exactly", async () => {
    const content = "unicode please [sim:unicode]";
    const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }] });
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: `${content} [sim:chunk-bytes=7]` }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(plain.choices[0]!.message.content).toMatch(/[\u{1F300}-\u{1FAFF}]/u);
    expect(text).not.toContain("\uFFFD");
    expect(text).toBe(plain.choices[0]!.message.content);
  });

  it("does not send a usage chunk unless asked", async () => {
    const stream = await client.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "hi" }] });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it("maps max_tokens and stop to finish reasons", async () => {
    const cut = await client.chat.completions.create({ model: MODEL, max_tokens: 5, messages: [{ role: "user", content: "[sim:words=100] long answer" }] });
    expect(cut.choices[0]!.finish_reason).toBe("length");
    const stopped = await client.chat.completions.create({ model: MODEL, stop: ["said"], messages: [{ role: "user", content: "anything" }] });
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.choices[0]!.message.content).not.toContain("said");
  });

  it("rejects requests it cannot honour with a 400 naming the field", async () => {
    const err = await client.chat.completions.create({ model: MODEL, n: 2, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("n");
    expect(err.type).toBe("invalid_request_error");

    const missing = await client.chat.completions.create({ model: MODEL } as never).catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect(missing.param).toBe("messages");
  });

  it("answers 404 model_not_found for an unknown model", async () => {
    const err = await client.chat.completions.create({ model: "no such model!", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe("model_not_found");
  });

  it("maps Bedrock throttling to 429 with retry-after", async () => {
    const err = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "[sim:error=ThrottlingException]" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get("retry-after")).toBeTruthy();
    expect(err.type).toBe("rate_limit_error");
  });

  it.each([
    ["ValidationException", 400, OpenAI.BadRequestError],
    ["AccessDeniedException", 403, OpenAI.PermissionDeniedError],
    ["ServiceUnavailableException", 503, OpenAI.InternalServerError],
    ["ModelTimeoutException", 504, OpenAI.InternalServerError],
  ] as const)("maps Bedrock %s to %i", async (type, status, cls) => {
    const err = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `[sim:error=${type}]` }] }).catch((e) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err.status).toBe(status);
  });

  it("retries a transient upstream failure before the first byte", async () => {
    const nonce = Math.random().toString(36).slice(2);
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `[sim:fail-first=1:ServiceUnavailableException:${nonce}] after a retry` }],
    });
    expect(res.choices[0]!.message.content).toContain("after a retry");
  });

  it("turns a mid-stream Bedrock exception into an APIError and records the error", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "[sim:stream-error-after=2:modelStreamErrorException] [sim:words=30]" }],
    });
    let text = "";
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.error?.code ?? err.code).toBe("model_stream_error");
    expect(text.length).toBeGreaterThan(0);
  });

  it("ends a stream cut mid-way by Bedrock with an error event, not a clean stop", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "[sim:truncate-after=3] [sim:words=30]" }],
    });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it("cancels the Bedrock stream when the client goes away and records the request as aborted", async () => {
    const local = await createTestKey("abort");
    const before = await simStats();
    const controller = new AbortController();
    const stream = await openaiClient(local.key).chat.completions.create(
      { model: MODEL, stream: true, messages: [{ role: "user", content: "[sim:delay=100] [sim:words=200]" }] },
      { signal: controller.signal },
    );
    let n = 0;
    await (async () => {
      for await (const _ of stream) if (++n === 3) controller.abort();
    })().catch(() => {});
    const deadline = Date.now() + 8000;
    let after = await simStats();
    while (after.streamsCancelled <= before.streamsCancelled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await simStats();
    }
    expect(after.streamsCancelled).toBeGreaterThan(before.streamsCancelled);
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "aborted", stream: true, estimated: true });
    expect(rows[0]!.outputTokens).toBeGreaterThan(0);
    await local.revoke();
  });

  it("cancels the Bedrock call when the client gives up waiting for a plain completion", async () => {
    const local = await createTestKey("abort-plain");
    const before = (await simStats()) as { requestsCancelled?: number };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const err = await openaiClient(local.key)
      .chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "[sim:ttfb=3000] slow" }] }, { signal: controller.signal })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    if (e2e().runtime === "e2e-workerd") {
      // Documented limit of local `wrangler dev`: its dev proxy does not pass a client's disconnect on to the
      // Worker's request.signal while the response is pending (deployed Workers do, with enable_request_signal).
      // The request still ends with exactly one usage row once Bedrock answers.
      const rows = await usageFor(local.id, 1, 10_000);
      expect(rows).toHaveLength(1);
      await local.revoke();
      return;
    }
    const deadline = Date.now() + 8000;
    let after = (await simStats()) as { requestsCancelled?: number };
    while ((after.requestsCancelled ?? 0) <= (before.requestsCancelled ?? 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await simStats()) as { requestsCancelled?: number };
    }
    expect(after.requestsCancelled).toBeGreaterThan(before.requestsCancelled ?? 0);
    const rows = await usageFor(local.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "aborted", stream: false, httpStatus: 499 });
    await local.revoke();
  });
});
