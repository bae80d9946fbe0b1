import { describe, expect, it } from "vitest";
import { linkedSignal } from "../../../src/http/linked-signal";

describe("linkedSignal", () => {
  it("aborts with the reason of the first source that aborts", () => {
    const a = new AbortController();
    const b = new AbortController();
    const { signal } = linkedSignal(a.signal, undefined, b.signal, null);
    expect(signal.aborted).toBe(false);
    b.abort("second");
    a.abort("first");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("second");
  });

  it("is aborted at once when a source already is", () => {
    const a = new AbortController();
    a.abort("gone");
    const { signal } = linkedSignal(new AbortController().signal, a.signal);
    expect([signal.aborted, signal.reason]).toEqual([true, "gone"]);
  });

  it("lets go of its sources on dispose: a later abort no longer reaches it", () => {
    const a = new AbortController();
    const linked = linkedSignal(a.signal);
    let heard = 0;
    linked.signal.addEventListener("abort", () => heard++);
    linked.dispose();
    a.abort();
    expect(linked.signal.aborted).toBe(false);
    expect(heard).toBe(0);
  });

  it("with no sources never aborts", () => {
    expect(linkedSignal().signal.aborted).toBe(false);
  });
});
