import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../src/config";
import { configVariableNames, toDotenv, varArgs, workerSettings } from "../../../scripts/worker-env.mjs";
import { ROOT } from "../../support/gateway-process";

describe("scripts/worker-env.mjs", () => {
  it("reads the same variable names as ConfigSchema", () => {
    expect(configVariableNames(ROOT)).toEqual(Object.keys(ConfigSchema.shape));
  });

  it("hands the Worker every setting but the server-only ones, credentials apart", () => {
    const env = {
      PORT: "1",
      HOST: "h",
      DATA_DIR: "d",
      DATABASE_URL: "postgres://x",
      MIGRATE_ON_START: "true",
      LOG_LEVEL: "warn",
      AWS_REGION: "eu-west-1",
      AWS_SECRET_ACCESS_KEY: "s",
      ADMIN_TOKEN: "admin-token-0123456789",
      METRICS_TOKEN: "m",
      RESPONSES_SEAL_KEY: "k",
      PATH: "/bin",
    };
    expect(workerSettings(env, configVariableNames(ROOT))).toEqual({
      vars: { LOG_LEVEL: "warn", AWS_REGION: "eu-west-1" },
      secrets: { AWS_SECRET_ACCESS_KEY: "s", ADMIN_TOKEN: "admin-token-0123456789", METRICS_TOKEN: "m", RESPONSES_SEAL_KEY: "k" },
    });
  });

  it("passes --var values after the first colon verbatim", () => {
    expect(varArgs({ MODELS: '[{"id":"a:b"}]', X: "" })).toEqual(["--var", 'MODELS:[{"id":"a:b"}]', "--var", "X:"]);
  });

  it.each([
    ["plain", "abc", "A='abc'"],
    ["dollar signs escaped for dotenv-expand", "a$HOME${X}", "A='a\\$HOME\\${X}'"],
    ["single quote inside: back-quoted", "it's", "A=`it's`"],
    ["single and back quotes: double-quoted", "it's `x`", 'A="it\'s `x`"'],
  ])("quotes %s", (_name, value, line) => {
    expect(toDotenv({ A: value })).toBe(`${line}\n`);
  });

  it("refuses a value no dotenv quoting keeps intact", () => {
    expect(() => toDotenv({ A: "' ` \" \\" })).toThrow(/A:/);
  });
});
