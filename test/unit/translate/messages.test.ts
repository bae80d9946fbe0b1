import { describe, expect, it } from "vitest";
import { DOCUMENT_ONLY_TEXT } from "../../../src/translate/turns";
import { assistant, call, PNG_B64, CLAUDE, PLAIN, translate, translateError, user } from "./helpers";

const bodyOf = (messages: unknown[], m = CLAUDE) => translate({ messages }, m).body;

describe("system and developer messages", () => {
  it.each([
    ["string system first", [{ role: "system", content: "Be brief." }, user("hi")], [{ text: "Be brief." }]],
    [
      "developer and system anywhere, in order",
      [{ role: "developer", content: "A" }, user("hi"), assistant("yo"), { role: "system", content: "B" }, user("again")],
      [{ text: "A" }, { text: "B" }],
    ],
    [
      "text parts, blanks skipped",
      [
        {
          role: "system",
          content: [
            { type: "text", text: "One" },
            { type: "text", text: "  " },
            { type: "text", text: "Two" },
          ],
        },
        user("hi"),
      ],
      [{ text: "One" }, { text: "Two" }],
    ],
  ])("%s", (_name, messages, system) => {
    const body = bodyOf(messages);
    expect(body.system).toEqual(system);
    expect(body.messages.every((m) => m.role === "user" || m.role === "assistant")).toBe(true);
  });

  it("blank system message gives no system field", () => {
    expect(bodyOf([{ role: "system", content: " " }, user("hi")]).system).toBeUndefined();
  });
});

describe("turns: merging, order, dropping", () => {
  it.each([
    ["consecutive user messages merge", [user("a"), user([{ type: "text", text: "b" }])], [{ role: "user", content: [{ text: "a" }, { text: "b" }] }]],
    [
      "consecutive assistant messages merge",
      [user("q"), assistant("one"), assistant("two"), user("next")],
      [
        { role: "user", content: [{ text: "q" }] },
        { role: "assistant", content: [{ text: "one" }, { text: "two" }] },
        { role: "user", content: [{ text: "next" }] },
      ],
    ],
    [
      "empty assistant messages are dropped (then users merge)",
      [user("a"), assistant(""), assistant(null), assistant([{ type: "text", text: " " }]), user("b")],
      [{ role: "user", content: [{ text: "a" }, { text: "b" }] }],
    ],
    [
      "blank text skipped, refusal part counts as text",
      [
        user([
          { type: "text", text: "" },
          { type: "text", text: "x" },
        ]),
        assistant([
          { type: "refusal", refusal: "No." },
          { type: "text", text: "\n" },
        ]),
      ],
      [
        { role: "user", content: [{ text: "x" }] },
        { role: "assistant", content: [{ text: "No." }] },
      ],
    ],
    [
      "tool results go first in a merged user turn",
      [
        user("q"),
        assistant(null, { tool_calls: [call("call_1", "f"), call("call_2", "g")] }),
        user("by the way"),
        { role: "tool", tool_call_id: "call_1", content: "r1" },
        { role: "tool", tool_call_id: "call_2", content: "r2" },
      ],
      [
        { role: "user", content: [{ text: "q" }] },
        {
          role: "assistant",
          content: [{ toolUse: { toolUseId: "call_1", name: "f", input: {} } }, { toolUse: { toolUseId: "call_2", name: "g", input: {} } }],
        },
        {
          role: "user",
          content: [
            { toolResult: { toolUseId: "call_1", content: [{ text: "r1" }] } },
            { toolResult: { toolUseId: "call_2", content: [{ text: "r2" }] } },
            { text: "by the way" },
          ],
        },
      ],
    ],
  ])("%s", (_name, messages, expected) => {
    expect(bodyOf(messages).messages).toEqual(expected);
  });

  it.each([
    ["starts with assistant", [assistant("hello"), user("hi")]],
    ["only system messages", [{ role: "system", content: "x" }]],
    ["only blank user messages", [user("  ")]],
  ])("400 messages when %s", (_name, messages) => {
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ status: 400, param: "messages" });
  });

  it("a document-only user turn gets a minimal text block", () => {
    const file = { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0xLjQK", filename: "a.pdf" } };
    expect(bodyOf([user([file])]).messages).toEqual([
      { role: "user", content: [{ document: { format: "pdf", name: "a", source: { bytes: "JVBERi0xLjQK" } } }, { text: DOCUMENT_ONLY_TEXT }] },
    ]);
  });
});

describe("assistant tool calls", () => {
  it.each([
    ["empty arguments become {}", "", {}],
    ["whitespace arguments become {}", "  ", {}],
    ["object arguments parse", '{"a":1,"b":[true]}', { a: 1, b: [true] }],
  ])("%s", (_name, args, input) => {
    const body = bodyOf([user("q"), assistant(null, { tool_calls: [call("call_1", "f", args)] }), { role: "tool", tool_call_id: "call_1", content: "ok" }]);
    expect(body.messages[1]).toEqual({ role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "f", input } }] });
  });

  it.each([
    ["array", "[1,2]"],
    ["string", '"x"'],
    ["null", "null"],
    ["invalid JSON", "{a:1"],
  ])("non-object arguments (%s) → 400 naming the argument", (_name, args) => {
    const messages = [user("q"), assistant("t", { tool_calls: [call("call_0", "ok"), call("call_1", "f", args)] })];
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ status: 400, param: "messages[1].tool_calls[1].function.arguments" });
  });

  it("invalid tool name in history → 400", () => {
    const messages = [user("q"), assistant(null, { tool_calls: [call("c", "bad name")] })];
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ param: "messages[1].tool_calls[0].function.name" });
  });

  it("text before tool calls is kept, in order", () => {
    const body = bodyOf([
      user("q"),
      assistant("Let me look.", { tool_calls: [call("c1", "f", '{"x":1}')] }),
      { role: "tool", tool_call_id: "c1", content: "1" },
    ]);
    expect(body.messages[1]!.content).toEqual([{ text: "Let me look." }, { toolUse: { toolUseId: "c1", name: "f", input: { x: 1 } } }]);
  });

  it("ids Bedrock rejects are rewritten identically on toolUse and toolResult", () => {
    const id = "toolu 01/ABC";
    const body = bodyOf([user("q"), assistant(null, { tool_calls: [call(id, "f")] }), { role: "tool", tool_call_id: id, content: "r" }]);
    const useId = (body.messages[1]!.content[0] as { toolUse: { toolUseId: string } }).toolUse.toolUseId;
    const resultId = (body.messages[2]!.content[0] as { toolResult: { toolUseId: string } }).toolResult.toolUseId;
    expect(useId).toMatch(/^[a-zA-Z0-9_.:-]{1,64}$/);
    expect(useId).not.toBe(id);
    expect(resultId).toBe(useId);
  });
});

describe("tool messages", () => {
  const convo = (content: unknown) => [user("q"), assistant(null, { tool_calls: [call("c1", "f")] }), { role: "tool", tool_call_id: "c1", content }];
  it.each([
    ["string → one text", "42", [{ text: "42" }]],
    ["empty string → []", "", []],
    ["whitespace → []", "  ", []],
    [
      "parts → one text per part",
      [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ],
      [{ text: "a" }, { text: "b" }],
    ],
    ["empty parts → []", [], []],
    ["JSON object text stays text", '{"temp":21}', [{ text: '{"temp":21}' }]],
  ])("%s", (_name, content, expected) => {
    expect(bodyOf(convo(content)).messages[2]).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "c1", content: expected } }] });
  });

  it("non-text part in a tool message → 400", () => {
    const messages = convo([{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG_B64}` } }]);
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ param: "messages[2].content[0]" });
  });
});

describe("legacy function messages", () => {
  it("role function answers the matching preceding call by name", () => {
    const body = bodyOf([
      user("q"),
      assistant(null, { tool_calls: [call("call_a", "alpha"), call("call_b", "beta")] }),
      { role: "function", name: "beta", content: "B" },
      { role: "function", name: "alpha", content: "A" },
    ]);
    expect(body.messages[2]).toEqual({
      role: "user",
      content: [{ toolResult: { toolUseId: "call_b", content: [{ text: "B" }] } }, { toolResult: { toolUseId: "call_a", content: [{ text: "A" }] } }],
    });
  });

  it("assistant function_call gets a stable id shared with its result", () => {
    const body = bodyOf([
      user("q"),
      assistant(null, { function_call: { name: "alpha", arguments: '{"k":"v"}' } }),
      { role: "function", name: "alpha", content: null },
    ]);
    expect(body.messages.slice(1)).toEqual([
      { role: "assistant", content: [{ toolUse: { toolUseId: "call_fn_1", name: "alpha", input: { k: "v" } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "call_fn_1", content: [] } }] },
    ]);
  });

  it.each([
    [
      "two legacy rounds: each call's id comes from its assistant message's index",
      [
        user("q"),
        assistant(null, { function_call: { name: "alpha", arguments: "{}" } }),
        { role: "function", name: "alpha", content: "A" },
        assistant(null, { function_call: { name: "alpha", arguments: '{"n":2}' } }),
        { role: "function", name: "alpha", content: "B" },
      ],
      [
        ["call_fn_1", "call_fn_1"],
        ["call_fn_3", "call_fn_3"],
      ],
    ],
    [
      "a user message between the call and its result",
      [user("q"), assistant("Calling.", { function_call: { name: "alpha", arguments: "" } }), user("go on"), { role: "function", name: "alpha", content: "A" }],
      [["call_fn_1", "call_fn_1"]],
    ],
  ])("%s", (_name, messages, pairs) => {
    const body = bodyOf(messages);
    const uses = body.messages.flatMap((m) => m.content.flatMap((b) => ("toolUse" in b ? [b.toolUse.toolUseId] : [])));
    const results = body.messages.flatMap((m) => m.content.flatMap((b) => ("toolResult" in b ? [b.toolResult.toolUseId] : [])));
    expect(uses.map((u, k) => [u, results[k]])).toEqual(pairs);
  });

  it("same messages → same ids (deterministic across requests)", () => {
    const messages = [user("q"), assistant(null, { function_call: { name: "alpha", arguments: "{}" } }), { role: "function", name: "alpha", content: "A" }];
    expect(bodyOf(messages)).toStrictEqual(bodyOf(structuredClone(messages)));
  });

  it("with thinking, a legacy tool turn has no kept reasoning: thinking is dropped instead of failing", () => {
    const asked: string[] = [];
    const out = translate(
      {
        messages: [user("q"), assistant(null, { function_call: { name: "alpha", arguments: "{}" } }), { role: "function", name: "alpha", content: "A" }],
        functions: [{ name: "alpha" }],
        reasoning_effort: "low",
      },
      CLAUDE,
      { reasoningFor: (id) => (asked.push(id), undefined) },
    );
    expect(asked).toEqual([]);
    expect(out.thinking).toBe(false);
    expect(out.thinkingDropped).toMatch(/no thinking blocks/);
  });

  it("function message without a matching call → 400", () => {
    const messages = [user("q"), assistant(null, { tool_calls: [call("c", "alpha")] }), { role: "function", name: "gamma", content: "x" }];
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ param: "messages[2].name" });
  });
});

describe("assistant prefill", () => {
  it.each([
    ["string content", [user("q"), assistant("The answer is ")], [{ text: "The answer is" }]],
    [
      "last text part",
      [
        user("q"),
        assistant([
          { type: "text", text: "A \n" },
          { type: "text", text: "B\t\n" },
        ]),
      ],
      [{ text: "A \n" }, { text: "B" }],
    ],
    [
      "text before a cache point",
      [user("q"), assistant([{ type: "text", text: "{ ", cache_control: { type: "ephemeral" } }])],
      [{ text: "{" }, { cachePoint: { type: "default" } }],
    ],
  ])("trailing whitespace trimmed on Claude (%s)", (_name, messages, content) => {
    expect(bodyOf(messages).messages.at(-1)).toEqual({ role: "assistant", content });
  });

  it("other models and earlier assistant turns keep their whitespace", () => {
    expect(bodyOf([user("q"), assistant("Sure: ")], PLAIN).messages.at(-1)!.content).toEqual([{ text: "Sure: " }]);
    expect(bodyOf([user("q"), assistant("one "), user("more")]).messages[1]!.content).toEqual([{ text: "one " }]);
  });
});

describe("content only where Bedrock allows it", () => {
  const img = { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_B64}` } };
  it.each([
    ["image in system", [{ role: "system", content: [img] }, user("x")], "messages[0].content[0]"],
    ["image in assistant", [user("x"), assistant([{ type: "text", text: "a" }, img])], "messages[1].content[1]"],
    ["audio in user", [user([{ type: "input_audio", input_audio: { data: "QUJD", format: "wav" } }])], "messages[0].content[0]"],
  ])("%s → 400", (_name, messages, param) => {
    expect(translateError({ messages }, CLAUDE)).toMatchObject({ status: 400, param });
  });
});
