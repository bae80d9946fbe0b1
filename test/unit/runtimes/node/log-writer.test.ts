import { describe, expect, it } from "vitest";
import { createStdoutWriter } from "../../../../src/runtimes/node/log-writer";

const turn = () => new Promise((r) => setImmediate(r));

describe("createStdoutWriter", () => {
  it("writes the lines of one turn of the event loop together, in order, each ending in a newline", async () => {
    const writes: string[] = [];
    const write = createStdoutWriter({ write: (c) => writes.push(c) });
    write('{"msg":"a"}');
    write('{"msg":"b"}');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['{"msg":"a"}\n{"msg":"b"}\n']);
    write('{"msg":"c"}');
    await turn();
    expect(writes).toEqual(['{"msg":"a"}\n{"msg":"b"}\n', '{"msg":"c"}\n']);
  });

  it("writes at once when a batch grows past 64 KiB, so memory stays bounded under a burst", async () => {
    const writes: string[] = [];
    const write = createStdoutWriter({ write: (c) => writes.push(c) });
    const line = "x".repeat(1023);
    for (let i = 0; i < 100; i++) write(line);
    expect(writes.length).toBe(1);
    expect(writes[0]!.length).toBe(64 * 1024);
    await turn();
    expect(writes.join("")).toBe(`${line}\n`.repeat(100));
  });
});
