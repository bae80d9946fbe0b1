import { describe, expect, it } from "vitest";
import { notificationScanner } from "../../../../src/runtimes/node/pglite-share";

function message(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}
function notification(channel: string, payload: string): Uint8Array {
  const enc = new TextEncoder();
  const c = enc.encode(channel);
  const p = enc.encode(payload);
  const body = new Uint8Array(4 + c.length + 1 + p.length + 1);
  new DataView(body.buffer).setInt32(0, 42);
  body.set(c, 4);
  body.set(p, 5 + c.length);
  return message(0x41, body);
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};

describe("notificationScanner", () => {
  const stream = concat(
    message(0x43, new TextEncoder().encode("COMMIT\0")),
    notification("bgw_changes", "key:ab12"),
    notification("other", "x"),
    message(0x5a, new Uint8Array([0x49])),
  );
  it.each([1, 2, 3, 7, 13, stream.length])("finds every notification when the stream arrives in chunks of %d bytes", (size) => {
    const seen: [string, string][] = [];
    const scan = notificationScanner((c, p) => seen.push([c, p]));
    for (let i = 0; i < stream.length; i += size) scan(stream.subarray(i, i + size));
    expect(seen).toEqual([
      ["bgw_changes", "key:ab12"],
      ["other", "x"],
    ]);
  });
});
