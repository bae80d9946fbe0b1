import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../../src/config";

describe("operations settings", () => {
  it("default to metrics on, no token, no tracing, proxy not trusted", () => {
    const c = parseConfig({});
    expect([c.METRICS_ENABLED, c.METRICS_TOKEN, c.OTEL_EXPORTER_OTLP_ENDPOINT, c.TRUST_PROXY]).toEqual([true, undefined, undefined, false]);
  });

  it.each<[Record<string, string>, Partial<ReturnType<typeof parseConfig>>]>([
    [{ METRICS_ENABLED: "false" }, { METRICS_ENABLED: false }],
    [{ METRICS_TOKEN: " t0ken " }, { METRICS_TOKEN: "t0ken" }],
    [{ TRUST_PROXY: "true" }, { TRUST_PROXY: true }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }],
  ])("%o", (env, expected) => {
    expect(parseConfig(env)).toMatchObject(expected);
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"],
    ["METRICS_ENABLED", "maybe"],
    ["TRUST_PROXY", "2"],
  ])("refuses %s=%s naming it", (variable, value) => {
    try {
      parseConfig({ [variable]: value });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    }
  });
});
