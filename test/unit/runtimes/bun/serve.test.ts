import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/config";
import { bunIdleTimeoutSeconds } from "../../../../src/runtimes/bun/serve";

describe("bunIdleTimeoutSeconds", () => {
  it.each([
    ["defaults: 3 × 120 s attempts exceed Bun's 255 s cap, so off", {}, 0],
    ["short upstream limits: the longest silence plus 10 s", { UPSTREAM_TIMEOUT_MS: "5000", UPSTREAM_RETRIES: "2", STREAM_IDLE_TIMEOUT_MS: "3000" }, 29],
    ["no retries", { UPSTREAM_TIMEOUT_MS: "30000", UPSTREAM_RETRIES: "0" }, 70],
    ["a long stream idle limit wins", { UPSTREAM_TIMEOUT_MS: "1000", UPSTREAM_RETRIES: "0", STREAM_IDLE_TIMEOUT_MS: "200000" }, 210],
    ["just over the cap", { UPSTREAM_TIMEOUT_MS: "1000", UPSTREAM_RETRIES: "0", STREAM_IDLE_TIMEOUT_MS: "246000" }, 0],
  ])("%s", (_name, env, seconds) => {
    expect(bunIdleTimeoutSeconds(parseConfig(env))).toBe(seconds);
  });
});
