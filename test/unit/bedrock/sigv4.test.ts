import { createHash, createHmac } from "node:crypto";
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { amzDate, createSigV4Signer } from "../../../src/bedrock/sigv4";

const crypto = {
  sha256Hex: (d: string) => createHash("sha256").update(d).digest("hex"),
  hmacSha256: (k: string | Uint8Array, d: string) => createHmac("sha256", k).update(d).digest(),
  hmacSha256Hex: (k: Uint8Array, d: string) => createHmac("sha256", k).update(d).digest("hex"),
};
const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const datetime = "20261202T091500Z";

type Case = { name: string; url: string; method: string; headers: Record<string, string>; body: string | undefined; region: string; sessionToken?: string };

const cases: Case[] = [
  {
    name: "Converse with a model id that needs encoding",
    url: `https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent("us.anthropic.claude-sonnet-4-5-20250929-v1:0")}/converse`,
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: '{"messages":[{"role":"user","content":[{"text":"héllo  world"}]}]}',
    region: "us-east-1",
  },
  {
    name: "a loopback endpoint with a port, a session token and extra headers",
    url: `http://127.0.0.1:4010/model/${encodeURIComponent("arn:aws:bedrock:eu-west-1:123:inference-profile/eu.x")}/converse-stream`,
    method: "POST",
    headers: { Accept: "application/vnd.amazon.eventstream", "X-Amzn-Bedrock-Trace": "ENABLED", "x-custom": "a   b", "user-agent": "x" },
    body: "{}",
    region: "eu-west-1",
    sessionToken: "FwoGZXIvYXdzEXAMPLE//token=",
  },
  {
    name: "a GET with a query string and no body",
    url: "https://bedrock.us-west-2.amazonaws.com/inference-profiles?maxResults=1000&type=SYSTEM_DEFINED&a=(b)",
    method: "GET",
    headers: { accept: "application/json" },
    body: undefined,
    region: "us-west-2",
  },
];

describe("createSigV4Signer", () => {
  it.each(cases)("signs $name exactly as aws4fetch does", async (c) => {
    const credentials = { ...creds, sessionToken: c.sessionToken };
    const ours = createSigV4Signer(crypto)({
      method: c.method,
      url: new URL(c.url),
      headers: c.headers,
      body: c.body,
      credentials,
      region: c.region,
      service: "bedrock",
      datetime,
    });
    const theirs = await new AwsV4Signer({
      ...credentials,
      url: c.url,
      method: c.method,
      headers: c.headers,
      body: c.body,
      service: "bedrock",
      region: c.region,
      datetime,
    }).sign();
    expect(ours).toEqual(Object.fromEntries(theirs.headers));
  });

  it("a different body, time or secret changes the signature", () => {
    const sign = createSigV4Signer(crypto);
    const base = { method: "POST", url: new URL(cases[0]!.url), headers: {}, body: "a", credentials: creds, region: "us-east-1", service: "bedrock", datetime };
    const sig = (o: Partial<typeof base>) => sign({ ...base, ...o }).authorization;
    expect(sig({ body: "b" })).not.toBe(sig({}));
    expect(sig({ datetime: "20261203T091500Z" })).not.toBe(sig({}));
    expect(sig({ credentials: { ...creds, secretAccessKey: "other" } })).not.toBe(sig({}));
    expect(sig({})).toBe(sig({}));
  });

  it("one signer signs every URL in turn, each more than once, exactly as aws4fetch does", async () => {
    const sign = createSigV4Signer(crypto);
    for (const c of [...cases, ...cases.slice().reverse(), ...cases]) {
      const credentials = { ...creds, sessionToken: c.sessionToken };
      const input = { method: c.method, headers: c.headers, body: c.body, credentials, region: c.region, service: "bedrock", datetime };
      const theirs = await new AwsV4Signer({ ...input, ...credentials, url: c.url }).sign();
      expect(sign({ ...input, url: new URL(c.url) })).toEqual(Object.fromEntries(theirs.headers));
    }
  });

  it.each([
    [Date.UTC(2026, 11, 2, 9, 15, 0, 123), datetime],
    [Date.UTC(2026, 11, 2, 9, 15, 0, 999), datetime],
    [Date.UTC(2026, 11, 2, 9, 15, 1, 0), "20261202T091501Z"],
    [Date.UTC(2026, 11, 2, 9, 15, 0, 0), datetime],
    [Date.UTC(2027, 0, 1, 0, 0, 0, 1), "20270101T000000Z"],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), "20261231T235959Z"],
  ])("formats x-amz-date of %i as %s", (ms, expected) => {
    expect(amzDate(ms)).toBe(expected);
  });
});
