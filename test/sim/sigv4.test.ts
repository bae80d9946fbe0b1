/** SigV4 verification: the SDK and aws4fetch pass; wrong keys, secrets, tokens, clocks and bodies do not. */
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { SIM_CREDENTIALS } from "../../sim/server";
import { awsFetch, sdkClient, signedPost, SONNET, useSimulator, user } from "./helpers";

const SESSION = { accessKeyId: "ASIASIMSESSION000000", secretAccessKey: "session-secret", sessionToken: "session-token-1" };
const { sim } = useSimulator({ credentials: [SIM_CREDENTIALS, SESSION] });
const body = { messages: [user("signed")] };

async function errorOf(res: Response): Promise<{ status: number; type: string | null; message: string }> {
  const json = (await res.json()) as { message: string };
  return { status: res.status, type: res.headers.get("x-amzn-errortype")?.split(":")[0] ?? null, message: json.message };
}

describe("SigV4 verification", () => {
  it.each([
    ["a profile id with ':'", SONNET],
    ["a base model id", "anthropic.claude-haiku-4-5-20251001-v1:0"],
    ["an inference-profile ARN", `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${SONNET}`],
    ["a foundation-model ARN", "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"],
    ["an application-inference-profile ARN", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simclaudesonnet45"],
  ])("accepts aws4fetch-signed requests for %s", async (_, modelId) => {
    const res = await signedPost(sim(), modelId, "converse", body);
    expect(res.status).toBe(200);
    expect(sim().requests().at(-1)!.modelId).toBe(modelId);
  });

  it("accepts the SDK with session credentials", async () => {
    const res = await sdkClient(sim(), SESSION).send(new ConverseCommand({ modelId: SONNET, messages: body.messages }));
    expect(res.output?.message?.content?.[0]?.text).toBe("You said: signed");
  });

  it("rejects a wrong secret with InvalidSignatureException through the SDK", async () => {
    const before = sim().stats().signatureFailures;
    const err = await sdkClient(sim(), { ...SIM_CREDENTIALS, secretAccessKey: "wrong" })
      .send(new ConverseCommand({ modelId: SONNET, messages: body.messages }))
      .catch((e) => e);
    expect(err.name).toBe("InvalidSignatureException");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toContain("The request signature we calculated does not match");
    expect(sim().stats().signatureFailures).toBe(before + 1);
  });

  it("rejects an unknown access key with UnrecognizedClientException through the SDK", async () => {
    const err = await sdkClient(sim(), { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" })
      .send(new ConverseCommand({ modelId: SONNET, messages: body.messages }))
      .catch((e) => e);
    expect(err.name).toBe("UnrecognizedClientException");
    expect(err.message).toBe("The security token included in the request is invalid.");
  });

  it.each([
    ["missing session token", { ...SESSION, sessionToken: undefined }, "UnrecognizedClientException"],
    ["wrong session token", { ...SESSION, sessionToken: "other" }, "UnrecognizedClientException"],
  ])("rejects a %s", async (_, creds, type) => {
    const res = await signedPost(sim(), SONNET, "converse", body, awsFetch(creds));
    expect(await errorOf(res)).toMatchObject({ status: 403, type });
  });

  it("answers an unsigned request with MissingAuthenticationTokenException", async () => {
    const res = await fetch(`${sim().url}/model/${encodeURIComponent(SONNET)}/converse`, { method: "POST", body: JSON.stringify(body) });
    expect(await errorOf(res)).toEqual({ status: 403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
    expect(res.headers.get("x-amzn-requestid")).toBeTruthy();
  });

  it.each([
    ["6 minutes behind", -6, /^Signature expired: \d{8}T\d{6}Z is now earlier than/],
    ["6 minutes ahead", 6, /^Signature not yet current: \d{8}T\d{6}Z is still later than/],
  ])("rejects a clock %s", async (_, minutes, message) => {
    const aws = new AwsClient({ ...SIM_CREDENTIALS, service: "bedrock", region: "us-east-1", retries: 0 });
    const req = await aws.sign(`${sim().url}/model/${encodeURIComponent(SONNET)}/converse`, {
      method: "POST",
      body: JSON.stringify(body),
      aws: { datetime: new Date(Date.now() + minutes * 60_000).toISOString().replace(/[:-]|\.\d{3}/g, "") },
    });
    const err = await errorOf(await fetch(req));
    expect(err).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    expect(err.message).toMatch(message);
  });

  it("shifts its clock on request, so a gateway's skew handling can be tested", async () => {
    const shift = await fetch(`${sim().url}/__sim/clock`, { method: "POST", body: JSON.stringify({ offsetMs: 6 * 60_000 }) });
    expect(shift.status).toBe(200);
    const err = await errorOf(await signedPost(sim(), SONNET, "converse", body));
    expect(err.message).toMatch(/^Signature expired/);
    sim().setClockOffset(0);
    expect((await signedPost(sim(), SONNET, "converse", body)).status).toBe(200);
  });

  it.each([
    ["region", new AwsClient({ ...SIM_CREDENTIALS, service: "bedrock", region: "eu-west-1", retries: 0 }), "Credential should be scoped to a valid region"],
    [
      "service",
      new AwsClient({ ...SIM_CREDENTIALS, service: "bedrock-runtime", region: "us-east-1", retries: 0 }),
      "Credential should be scoped to correct service: 'bedrock'",
    ],
  ])("rejects a signature scoped to the wrong %s", async (_, aws, message) => {
    const err = await errorOf(await signedPost(sim(), SONNET, "converse", body, aws));
    expect(err).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    expect(err.message).toContain(message);
  });

  it("rejects a body changed after signing, showing the canonical request it expected", async () => {
    const signed = await awsFetch().sign(`${sim().url}/model/${encodeURIComponent(SONNET)}/converse`, { method: "POST", body: JSON.stringify(body) });
    const res = await fetch(signed.url, { method: "POST", headers: signed.headers, body: JSON.stringify({ messages: [user("tampered")] }) });
    const err = await errorOf(res);
    expect(err).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    // Non-S3 services double-encode the path: ':' travels as %3A and is canonicalised as %253A.
    expect(err.message).toContain("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse");
  });

  it("rejects a model id signed single-encoded (the path must be signed as sent, then encoded again)", async () => {
    const aws = new AwsClient({ ...SIM_CREDENTIALS, service: "bedrock", region: "us-east-1", retries: 0 });
    const url = `${sim().url}/model/${encodeURIComponent(SONNET)}/converse`;
    const req = await aws.sign(url, { method: "POST", body: JSON.stringify(body), aws: { singleEncode: true } });
    expect((await errorOf(await fetch(req))).type).toBe("InvalidSignatureException");
  });

  it("serves the control plane to signed requests", async () => {
    const aws = awsFetch();
    const models = (await (await aws.fetch(`${sim().url}/foundation-models?byProvider=anthropic`)).json()) as {
      modelSummaries: { modelId: string; providerName: string }[];
    };
    expect(models.modelSummaries.length).toBeGreaterThan(3);
    expect(models.modelSummaries.every((m) => m.providerName === "Anthropic")).toBe(true);
    const profiles = (await (await aws.fetch(`${sim().url}/inference-profiles?maxResults=1000`)).json()) as {
      inferenceProfileSummaries: { inferenceProfileId: string; status: string; type: string; models: unknown[] }[];
    };
    expect(profiles.inferenceProfileSummaries).toContainEqual(
      expect.objectContaining({ inferenceProfileId: SONNET, status: "ACTIVE", type: "SYSTEM_DEFINED" }),
    );
    expect((await fetch(`${sim().url}/foundation-models`)).status).toBe(403);
  });
});
