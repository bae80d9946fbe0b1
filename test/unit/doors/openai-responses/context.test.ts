/** What is stored of a response and what GET returns: sealed reasoning only when included, never stored sealed. */
import { describe, expect, it } from "vitest";
import { publicItem, retrievedResponse, toStoredResponse } from "../../../../src/doors/openai-responses/context";
import type { ResponseObject } from "../../../../src/doors/openai-responses/schema";

const block = { reasoningText: { text: "think", signature: "sig" } };
const response = {
  id: "resp_1",
  model: "m",
  status: "completed",
  output: [
    { id: "rs_1", type: "reasoning", summary: [], encrypted_content: "sealed" },
    { id: "fc_1", type: "function_call", status: "completed", call_id: "c1", name: "f", arguments: "{}" },
  ],
} as unknown as ResponseObject;
const conversation = { items: [{ type: "message" as const, role: "user" as const, content: "hi" }], offset: 0, warnings: [] };

describe("toStoredResponse", () => {
  const row = toStoredResponse(response, conversation, { rs_1: [block] }, { owner: "key:1", now: 0, ttlHours: 1 });
  it("keeps the thinking blocks with the reasoning item and never the sealed form", () => {
    expect(row.outputItems[0]).toEqual({ id: "rs_1", type: "reasoning", summary: [], blocks: [block] });
    expect(JSON.stringify(row.response)).not.toContain("sealed");
  });
  it("gives input items ids and expires after the TTL", () => {
    expect(row.inputItems[0]!.id).toMatch(/^msg_/);
    expect(row.expiresAt.getTime()).toBe(3_600_000);
  });
  it("lists input items without the gateway's own fields", () => {
    expect(publicItem({ id: "rs_1", type: "reasoning", blocks: [block] })).toEqual({ id: "rs_1", type: "reasoning" });
  });
});

describe("retrievedResponse", () => {
  const row = toStoredResponse(response, conversation, { rs_1: [block] }, { owner: "key:1", now: 0, ttlHours: 1 });
  it.each([
    { name: "without include: no encrypted_content", seal: null, expected: undefined },
    {
      name: "with include: sealed afresh from the stored blocks",
      seal: async (b: unknown[]) => `sealed:${JSON.stringify(b)}`,
      expected: `sealed:${JSON.stringify([block])}`,
    },
  ])("$name", async ({ seal, expected }) => {
    const got = (await retrievedResponse(row, seal)) as { output: { encrypted_content?: string; type: string }[] };
    expect(got.output[0]!.encrypted_content).toBe(expected);
    expect(got.output[1]).not.toHaveProperty("encrypted_content");
  });
});
