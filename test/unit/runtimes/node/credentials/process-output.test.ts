import { describe, expect, it } from "vitest";
import { parseProcessOutput } from "../../../../../src/runtimes/node/credentials/process";

const NOW = Date.parse("2030-01-01T00:00:00Z");

describe("credential_process output", () => {
  it.each([
    [
      "temporary credentials",
      '{"Version": 1, "AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2030-01-01T01:00:00Z"}',
      { accessKeyId: "ASIA1", secretAccessKey: "s", sessionToken: "t", expiration: Date.parse("2030-01-01T01:00:00Z") },
    ],
    ["long-term keys", '{"Version":1,"AccessKeyId":"AKIA1","SecretAccessKey":"s"}\n', { accessKeyId: "AKIA1", secretAccessKey: "s" }],
    ["an empty session token", '{"Version":1,"AccessKeyId":"AKIA1","SecretAccessKey":"s","SessionToken":""}', { accessKeyId: "AKIA1", secretAccessKey: "s" }],
  ])("accepts %s", (_name, stdout, expected) => {
    expect(parseProcessOutput(stdout, "p", NOW)).toEqual({ sessionToken: undefined, expiration: undefined, ...expected });
  });

  it.each([
    ["not JSON", "AccessKeyId=x", /did not print JSON/],
    ["a JSON string", '"x"', /did not print a JSON object/],
    ["no Version", '{"AccessKeyId":"A","SecretAccessKey":"s"}', /Version undefined, not 1/],
    ["Version 2", '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}', /Version 2, not 1/],
    ['Version "1"', '{"Version":"1","AccessKeyId":"A","SecretAccessKey":"s"}', /Version "1", not 1/],
    ["no secret", '{"Version":1,"AccessKeyId":"A"}', /no AccessKeyId\/SecretAccessKey/],
    ["a bad Expiration", '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"soon"}', /not an ISO 8601 date/],
    ["an expired Expiration", '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2029-12-31T23:59:59Z"}', /expired at 2029-12-31T23:59:59Z/],
  ])("rejects %s", (_name, stdout, message) => {
    expect(() => parseProcessOutput(stdout, "p", NOW)).toThrow(message);
  });
});
