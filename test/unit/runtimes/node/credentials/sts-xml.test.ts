import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseStsCredentials, parseStsError } from "../../../../../src/runtimes/node/credentials/sts-xml";

const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/credentials/${name}`, import.meta.url), "utf8");

describe("STS XML answers", () => {
  it.each([
    [
      "sts-assume-role-with-web-identity.xml",
      "AssumeRoleWithWebIdentity",
      {
        accessKeyId: "ASgeIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        sessionToken: "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE",
        expiration: Date.parse("2014-10-24T23:00:23Z"),
        assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1",
      },
    ],
    [
      "sts-assume-role.xml",
      "AssumeRole",
      {
        accessKeyId: "ASIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        // The documented example wraps the token over several lines; the token itself has no whitespace.
        sessionToken:
          "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
        expiration: Date.parse("2019-11-09T13:34:41Z"),
        assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/demo/TestAR",
      },
    ],
  ])("%s", (file, action, expected) => {
    expect(parseStsCredentials(fixture(file), action)).toEqual(expected);
  });

  it.each([
    ["a different action's answer", fixture("sts-assume-role.xml"), "AssumeRoleWithWebIdentity"],
    ["an error document", fixture("sts-error-access-denied.xml"), "AssumeRole"],
    ["HTML from a proxy", "<html><body>502 Bad Gateway</body></html>", "AssumeRole"],
    [
      "credentials without an expiry",
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>",
      "AssumeRole",
    ],
  ])("holds no credentials: %s", (_name, xml, action) => {
    expect(parseStsCredentials(xml, action)).toBeNull();
  });

  it("reads namespace prefixes, attributes, entities and CDATA", () => {
    const xml = `<?xml version="1.0"?><sts:AssumeRoleResponse xmlns:sts="https://sts.amazonaws.com/doc/2011-06-15/"><sts:AssumeRoleResult>
      <sts:Credentials><sts:AccessKeyId>AKIA&amp;1</sts:AccessKeyId><sts:SecretAccessKey><![CDATA[s<e>c]]></sts:SecretAccessKey>
      <sts:SessionToken a="b">t&#x2B;&#43;</sts:SessionToken><sts:Expiration>2030-01-01T00:00:00Z</sts:Expiration></sts:Credentials>
      </sts:AssumeRoleResult></sts:AssumeRoleResponse>`;
    expect(parseStsCredentials(xml, "AssumeRole")).toEqual({
      accessKeyId: "AKIA&1",
      secretAccessKey: "s<e>c",
      sessionToken: "t++",
      expiration: Date.parse("2030-01-01T00:00:00Z"),
      assumedRoleArn: undefined,
    });
  });

  it.each([
    [
      "sts-error-invalid-identity-token.xml",
      {
        code: "InvalidIdentityToken",
        message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      },
    ],
    ["sts-error-expired-token.xml", { code: "ExpiredTokenException", message: expect.stringMatching(/^Token expired/) }],
    ["sts-error-access-denied.xml", { code: "AccessDenied", message: expect.stringMatching(/is not authorized to perform: sts:AssumeRole/) }],
    ["sts-error-idp-communication.xml", { code: "IDPCommunicationError", message: expect.any(String) }],
  ])("error %s", (file, expected) => {
    expect(parseStsError(fixture(file))).toEqual(expected);
  });

  it.each([fixture("sts-assume-role.xml"), "", "Service Unavailable", "<ErrorResponse><Error><Message>no code</Message></Error></ErrorResponse>"])(
    "is not an error document: %#",
    (xml) => {
      expect(parseStsError(xml)).toBeNull();
    },
  );
});
