import { describe, expect, it } from "vitest";
import { mergeProfiles, parseIni, profileKind } from "../../../../../src/runtimes/node/credentials/shared-config";

describe("shared config files", () => {
  it.each([
    ["key = value", "[a]\nkey = value", { a: { key: "value" } }],
    ["no spaces, CRLF", "[a]\r\nkey=value\r\n", { a: { key: "value" } }],
    ["full-line comments", "# top\n[a]\n; note\nkey = v\n# k = x", { a: { key: "v" } }],
    ["inline comment after whitespace", "[a]\nkey = v ; note\nother = w # note", { a: { key: "v", other: "w" } }],
    ["# inside a value stays", "[a]\naws_secret_access_key = abc#def;ghi", { a: { aws_secret_access_key: "abc#def;ghi" } }],
    ["= inside a value stays", "[a]\ncredential_process = tool --opt=1 --x = 2", { a: { credential_process: "tool --opt=1 --x = 2" } }],
    ["lines before any section are ignored", "key = v\n[a]\nk = w", { a: { k: "w" } }],
    ["sub-properties", "[a]\ns3 =\n  max_concurrent_requests = 10\nregion = us-west-2", { a: { "s3.max_concurrent_requests": "10", region: "us-west-2" } }],
    ["later keys win", "[a]\nk = 1\nk = 2", { a: { k: "2" } }],
    ["a line without = is ignored", "[a]\njunk\nk = v", { a: { k: "v" } }],
  ])("parses %s", (_name, text, expected) => {
    expect(JSON.parse(JSON.stringify(parseIni(text)))).toEqual(expected);
  });

  it("merges the config file's profiles under the credentials file's", () => {
    const config = [
      "[default]",
      "region = eu-west-1",
      "[profile dev]",
      "role_arn = arn:aws:iam::123456789012:role/dev",
      "source_profile = base",
      "aws_access_key_id = FROM_CONFIG",
      "[sso-session corp]",
      "sso_start_url = https://corp.awsapps.com/start",
      "[plain]",
      "aws_access_key_id = IGNORED",
      '[profile "quoted"]',
      "region = us-west-2",
    ].join("\n");
    const credentials = ["[default]", "aws_access_key_id = AKIADEFAULT", "aws_secret_access_key = s", "[dev]", "aws_access_key_id = FROM_CREDENTIALS"].join(
      "\n",
    );
    expect(JSON.parse(JSON.stringify(mergeProfiles(config, credentials)))).toEqual({
      default: { region: "eu-west-1", aws_access_key_id: "AKIADEFAULT", aws_secret_access_key: "s" },
      dev: { role_arn: "arn:aws:iam::123456789012:role/dev", source_profile: "base", aws_access_key_id: "FROM_CREDENTIALS" },
      quoted: { region: "us-west-2" },
    });
  });

  it("has no profiles without files", () => {
    expect(Object.keys(mergeProfiles(undefined, undefined))).toEqual([]);
  });

  it.each([
    [undefined, "none"],
    [{ region: "us-east-1" }, "none"],
    [{ aws_access_key_id: "A", aws_secret_access_key: "S" }, "static"],
    [{ aws_access_key_id: "A" }, "none"],
    [{ role_arn: "arn", source_profile: "base" }, "assume-role"],
    [{ role_arn: "arn", credential_source: "Ec2InstanceMetadata" }, "assume-role"],
    // Role assumption comes first, as in the SDKs: the keys then belong to the source.
    [{ role_arn: "arn", source_profile: "self", aws_access_key_id: "A", aws_secret_access_key: "S" }, "assume-role"],
    [{ role_arn: "arn" }, "none"],
    [{ role_arn: "arn", web_identity_token_file: "/t" }, "web-identity"],
    [{ credential_process: "tool" }, "process"],
    [{ sso_session: "corp", sso_account_id: "1", sso_role_name: "r" }, "sso"],
    [{ sso_start_url: "https://x" }, "sso"],
  ])("%j is a %s profile", (profile, kind) => {
    expect(profileKind(profile as Record<string, string> | undefined)).toBe(kind);
  });
});
