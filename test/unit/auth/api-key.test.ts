import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { API_KEY_PREFIX, apiKeyPrefix, generateApiKey, hashApiKey, looksLikeApiKey, timingSafeEqual } from "../../../src/auth/api-key";

describe("generateApiKey", () => {
  it("makes bgw_live_ + 40 base62 characters, with the first 6 as the visible prefix", () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^bgw_live_[0-9A-Za-z]{40}$/);
    expect(prefix).toMatch(/^bgw_live_[0-9A-Za-z]{6}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect(apiKeyPrefix(key)).toBe(prefix);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it("never repeats and uses the whole alphabet", () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey().key);
    expect(new Set(keys).size).toBe(keys.length);
    const chars = new Set(keys.join("").replaceAll(API_KEY_PREFIX, ""));
    expect(chars.size).toBe(62);
  });
});

describe("looksLikeApiKey", () => {
  it.each([
    [`bgw_live_${"a".repeat(40)}`, true],
    [`bgw_live_${"Z9".repeat(16)}`, true],
    [`bgw_live_${"a".repeat(31)}`, false],
    [`bgw_live_${"a".repeat(65)}`, false],
    [`bgw_test_${"a".repeat(40)}`, false],
    [`sk-${"a".repeat(48)}`, false],
    [`bgw_live_${"a".repeat(39)}-`, false],
    [` bgw_live_${"a".repeat(40)}`, false],
    ["", false],
  ])("%s → %s", (s, expected) => {
    expect(looksLikeApiKey(s)).toBe(expected);
  });
});

describe("hashApiKey", () => {
  it("is the lower-case hex SHA-256 of the whole key", async () => {
    const { key } = generateApiKey();
    const hash = await hashApiKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
  });

  it("matches a known vector", async () => {
    expect(await hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("timingSafeEqual", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["abc", "ab", false],
    ["", "", true],
  ])("%s vs %s → %s", (a, b, expected) => {
    expect(timingSafeEqual(a, b)).toBe(expected);
  });
});

describe("hashApiKey matches node:crypto (the Node runtime's faster hash)", () => {
  it.each(["bgw_live_abcdefghijklmnopqrstuvwxyz0123456789ABCD", `bgw_live_${"Z".repeat(40)}`])("%s", async (key) => {
    expect(await hashApiKey(key)).toBe(createHash("sha256").update(key).digest("hex"));
  });
});
