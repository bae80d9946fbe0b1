import { describe, expect, it } from "vitest";
import { drainGate } from "../../../../src/runtimes/node/shutdown";

const OPENAI = { error: { message: "The gateway is shutting down; retry the request.", type: "server_error", param: null, code: "shutting_down" } };
const ANTHROPIC = { type: "error", error: { type: "overloaded_error", message: "The gateway is shutting down; retry the request." } };
const BEDROCK = { message: "The gateway is shutting down; retry the request." };

// A request arriving while draining is refused in the shape of the door it was sent to, so each door's SDK
// classifies and retries it: OpenAI's 503 (https://platform.openai.com/docs/guides/error-codes), Anthropic's 529
// overloaded_error (https://docs.anthropic.com/en/api/errors), Bedrock's ServiceUnavailableException
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
const CASES: { path: string; status: number; body: unknown; errorType: string | null }[] = [
  { path: "/v1/chat/completions", status: 503, body: OPENAI, errorType: null },
  { path: "/v1/embeddings", status: 503, body: OPENAI, errorType: null },
  { path: "/healthz", status: 503, body: OPENAI, errorType: null },
  { path: "/v1/messages", status: 529, body: ANTHROPIC, errorType: null },
  { path: "/v1/messages/count_tokens", status: 529, body: ANTHROPIC, errorType: null },
  { path: "/bedrock/model/anthropic.claude-sonnet-4-5/converse", status: 503, body: BEDROCK, errorType: "ServiceUnavailableException" },
  { path: "/bedrock/model/anthropic.claude-sonnet-4-5/invoke-with-response-stream", status: 503, body: BEDROCK, errorType: "ServiceUnavailableException" },
];

describe("drainGate", () => {
  it("passes requests through until draining starts", async () => {
    const gate = drainGate(() => new Response("ok"));
    expect(await (await gate.fetch(new Request("http://gw.test/v1/messages", { method: "POST" }), {})).text()).toBe("ok");
  });

  it.each(CASES)("while draining answers $path with $status in its door's shape", async ({ path, status, body, errorType }) => {
    let called = false;
    const gate = drainGate(() => {
      called = true;
      return new Response("ok");
    });
    gate.start();
    const res = await gate.fetch(new Request(`http://gw.test${path}?x=1`, { method: "POST", body: "{}" }), {});
    expect(called).toBe(false);
    expect(res.status).toBe(status);
    expect(res.headers.get("connection")).toBe("close");
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-amzn-errortype")).toBe(errorType);
    expect(await res.json()).toEqual(body);
  });
});
