import { describe, expect, it } from "vitest";
import { bytesToBase64, decodedByteLength, float32ToBase64, isValidBase64, parseDataUrl } from "../../../src/translate/base64";

describe("isValidBase64", () => {
  it.each([
    ["iVBORw0KGgo=", true],
    ["QUJD", true],
    ["QQ==", true],
    ["", false],
    ["QUJ", false],
    ["QU=D", false],
    ["QUJD\n", false],
    ["QU JD", false],
    ["QUJ-", false],
    ["Q===", false],
  ])("%j → %s", (s, ok) => {
    expect(isValidBase64(s)).toBe(ok);
  });
});

describe("decodedByteLength", () => {
  it.each([
    ["QUJD", 3],
    ["QUI=", 2],
    ["QQ==", 1],
    ["iVBORw0KGgo=", 8],
  ])("%s → %d", (s, n) => {
    expect(decodedByteLength(s)).toBe(n);
    expect(atob(s).length).toBe(n);
  });
});

describe("parseDataUrl", () => {
  it.each([
    ["data:image/png;base64,QUJD", { mediaType: "image/png", base64: "QUJD" }],
    ["data:Image/PNG;base64,QUJD", { mediaType: "image/png", base64: "QUJD" }],
    ["data:application/pdf;name=a.pdf;base64,QUJD", { mediaType: "application/pdf", base64: "QUJD" }],
    ["data:;base64,QUJD", { mediaType: "", base64: "QUJD" }],
    ["data:text/plain,hello", null],
    ["data:image/png;base64", null],
    ["https://example.com/a.png", null],
  ])("%s", (url, expected) => {
    expect(parseDataUrl(url)).toEqual(expected);
  });
});

describe("float32ToBase64", () => {
  it("encodes little-endian float32 like OpenAI", () => {
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0
    expect(float32ToBase64([1, -2])).toBe(bytesToBase64(new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])));
    expect(float32ToBase64([1, -2])).toBe("AACAPwAAAMA=");
  });

  it("round-trips through Float32Array", () => {
    const values = [0.1, -0.25, 3.5, 1e-7];
    const bin = atob(float32ToBase64(values));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual(values.map((v) => Math.fround(v)));
  });

  it("handles large vectors (chunked btoa)", () => {
    const values = Array.from({ length: 20_000 }, (_, i) => i / 7);
    expect(atob(float32ToBase64(values)).length).toBe(80_000);
  });
});
