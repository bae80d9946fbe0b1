/** `item_reference` input items: how they parse, and how they become the stored items they name (or a 404 naming them). */
import { describe, expect, it } from "vitest";
import { withReferencedItems } from "../../../../src/doors/openai-responses/context";
import { ResponsesRequestSchema } from "../../../../src/doors/openai-responses/schema";
import { GatewayError } from "../../../../src/errors";

const block = { reasoningText: { text: "think", signature: "sig" } };
const stored = [
  { id: "rs_1", type: "reasoning", summary: [], blocks: [block] },
  { id: "fc_1", type: "function_call", status: "completed", call_id: "c1", name: "f", arguments: "{}" },
  { id: "msg_1", type: "message", role: "user", content: "hi" },
];
const user = { role: "user", content: "next" };

describe("item_reference in the request schema", () => {
  it.each([
    { name: "typed reference", item: { type: "item_reference", id: "fc_1" }, expected: { type: "item_reference", id: "fc_1" } },
    { name: "bare {id} (openai-node's ItemReference without type)", item: { id: "fc_1" }, expected: { type: "item_reference", id: "fc_1" } },
    { name: "a message with an id stays a message", item: { id: "msg_9", role: "user", content: "x" }, expected: { id: "msg_9", role: "user", content: "x" } },
  ])("$name", ({ item, expected }) => {
    const r = ResponsesRequestSchema.safeParse({ model: "m", input: [user, item] });
    expect(r.success).toBe(true);
    expect(r.data!.input).toEqual([user, expected]);
  });

  it.each([
    { name: "no id", item: { type: "item_reference" }, path: [1, "id"] },
    { name: "empty id", item: { type: "item_reference", id: "" }, path: [1, "id"] },
    { name: "id not a string", item: { type: "item_reference", id: 7 }, path: [1, "id"] },
    { name: "an unknown item type (not a reference)", item: { type: "computer_call_output", id: "x" }, path: [1] },
  ])("refuses an item with $name, naming the field", ({ item, path }) => {
    const r = ResponsesRequestSchema.safeParse({ model: "m", input: [user, item] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["input", ...path]);
  });
});

describe("withReferencedItems", () => {
  it.each([
    {
      name: "a reasoning item comes back with its thinking blocks",
      input: [user, { type: "item_reference" as const, id: "rs_1" }],
      expected: [user, stored[0]],
    },
    {
      name: "several references, in the input's order, items around them kept",
      input: [{ type: "item_reference" as const, id: "msg_1" }, user, { type: "item_reference" as const, id: "fc_1" }],
      expected: [stored[2], user, stored[1]],
    },
    { name: "no references: the input unchanged", input: [user], expected: [user] },
  ])("$name", ({ input, expected }) => {
    expect(withReferencedItems(input as never, stored)).toEqual(expected);
  });

  it.each([
    { name: "an id never stored", input: [user, { type: "item_reference" as const, id: "fc_nope" }], param: "input[1]", id: "fc_nope" },
    {
      name: "the first missing one is named",
      input: [
        { type: "item_reference" as const, id: "x" },
        { type: "item_reference" as const, id: "y" },
      ],
      param: "input[0]",
      id: "x",
    },
  ])("answers 404 for $name, naming input[N]", ({ input, param, id }) => {
    let err: unknown;
    try {
      withReferencedItems(input as never, stored);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 404, type: "invalid_request_error", param });
    expect((err as GatewayError).message).toContain(`Item with id '${id}' not found.`);
  });
});
