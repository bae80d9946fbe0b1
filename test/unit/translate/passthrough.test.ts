import { describe, expect, it } from "vitest";
import { CLAUDE, PLAIN, translate, translateError } from "./helpers";

const q = [{ role: "user", content: "q" }];
const guardrail = { guardrailIdentifier: "gr-1", guardrailVersion: "1", trace: "enabled", streamProcessingMode: "async" };

describe("Bedrock passthrough fields", () => {
  it.each([
    ["top-level additionalModelRequestFields", { additionalModelRequestFields: { top_k: 5 } }, "additionalModelRequestFields"],
    ["top-level guardrailConfig", { guardrailConfig: guardrail }, "guardrailConfig"],
    ["nested additionalModelRequestFields", { bedrock: { additionalModelRequestFields: { top_k: 5 } } }, "bedrock.additionalModelRequestFields"],
    ["nested guardrailConfig", { bedrock: { guardrailConfig: guardrail } }, "bedrock.guardrailConfig"],
  ])("%s without ALLOW_BEDROCK_PASSTHROUGH → 400 naming it", (_name, extra, param) => {
    const err = translateError({ messages: q, ...extra });
    expect(err).toMatchObject({ status: 400, param });
    expect(err.message).toMatch(/ALLOW_BEDROCK_PASSTHROUGH/);
  });

  it.each([
    ["top-level", { additionalModelRequestFields: { top_k: 5 }, guardrailConfig: guardrail }],
    ["nested", { bedrock: { additionalModelRequestFields: { top_k: 5 }, guardrailConfig: guardrail } }],
  ])("%s, allowed → forwarded (streamProcessingMode only when streaming)", (_name, extra) => {
    const body = translate({ messages: q, ...extra }, PLAIN, { allowPassthrough: true }).body;
    expect(body.additionalModelRequestFields).toEqual({ top_k: 5 });
    expect(body.guardrailConfig).toEqual({ guardrailIdentifier: "gr-1", guardrailVersion: "1", trace: "enabled" });
    const streamed = translate({ messages: q, stream: true, ...extra }, PLAIN, { allowPassthrough: true }).body;
    expect(streamed.guardrailConfig).toEqual({ guardrailIdentifier: "gr-1", guardrailVersion: "1", trace: "enabled", streamProcessingMode: "async" });
  });

  it("gateway keys win; client keys the gateway did not set are kept", () => {
    const out = translate(
      { messages: q, reasoning_effort: "low", additionalModelRequestFields: { thinking: { type: "disabled" }, anthropic_beta: ["x"] } },
      CLAUDE,
      { allowPassthrough: true },
    );
    expect(out.body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 }, anthropic_beta: ["x"] });
  });

  it("given both top-level and nested → 400", () => {
    const err = translateError({ messages: q, guardrailConfig: guardrail, bedrock: { guardrailConfig: guardrail } }, PLAIN, { allowPassthrough: true });
    expect(err).toMatchObject({ status: 400, param: "bedrock.guardrailConfig" });
  });
});
