import { describe, expect, it } from "vitest";
import { bedrockControlEndpoint, bedrockRuntimeEndpoint, ConfigError, parseConfig } from "../../src/config";

describe("parseConfig", () => {
  it("applies defaults", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ PORT: 8080, HOST: "0.0.0.0", AWS_REGION: "us-east-1", MIGRATE_ON_START: true, DATA_DIR: "./data" });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(bedrockRuntimeEndpoint(c)).toBe("https://bedrock-runtime.us-east-1.amazonaws.com");
    expect(bedrockControlEndpoint(c)).toBe("https://bedrock.us-east-1.amazonaws.com");
  });

  it.each([
    [{ MIGRATE_ON_START: "false" }, { MIGRATE_ON_START: false }],
    [{ MIGRATE_ON_START: "0" }, { MIGRATE_ON_START: false }],
    [{ PORT: "0" }, { PORT: 0 }],
    [{ AWS_REGION: "eu-central-1" }, { AWS_REGION: "eu-central-1" }],
    [{ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: "http://127.0.0.1:4010/" }, { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: "http://127.0.0.1:4010" }],
    [{ MODELS: '[{"id":"fast","bedrockModelId":"amazon.nova-micro-v1:0"}]' }, { MODELS: [{ id: "fast", bedrockModelId: "amazon.nova-micro-v1:0" }] }],
  ])("parses %j", (input, expected) => expect(parseConfig(input)).toMatchObject(expected));

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ AWS_REGION: "moon" }, "AWS_REGION"],
    [{ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: "ftp://x" }, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"],
    [{ MIGRATE_ON_START: "maybe" }, "MIGRATE_ON_START"],
    [{ MODELS: "{not json" }, "MODELS"],
    [{ MODELS: '[{"id":""}]' }, "MODELS"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("rejects %j naming the variable", (input, variable) => {
    let err: unknown;
    try {
      parseConfig(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toContain(variable);
    expect((err as Error).message).toContain(variable);
  });

  it("lists every bad variable at once", () => {
    expect(() => parseConfig({ PORT: "x", AWS_REGION: "y" })).toThrow(/PORT[\s\S]*AWS_REGION|AWS_REGION[\s\S]*PORT/);
  });
});
