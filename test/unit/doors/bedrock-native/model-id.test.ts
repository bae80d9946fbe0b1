import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../src/errors";
import { modelIdFromPath } from "../../../../src/doors/bedrock-native/model-id";
import { rawModelSegment } from "../../../../src/doors/bedrock-native/request";

const SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const enc = encodeURIComponent;

describe("modelIdFromPath", () => {
  it.each([
    ["nova-lite", "nova-lite"],
    [SONNET, SONNET],
    [enc(SONNET), SONNET],
    [enc(`us.${SONNET}`), `us.${SONNET}`],
    ["amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v2:0"],
    [enc(`arn:aws:bedrock:us-east-1::foundation-model/${SONNET}`), SONNET],
    [enc(`arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${SONNET}`), `us.${SONNET}`],
    [enc(`arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${SONNET}`), `us-gov.${SONNET}`],
    [
      enc("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"),
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
    ],
    [enc("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456"), "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456"],
  ])("%s → %s", (segment, id) => expect(modelIdFromPath(segment)).toBe(id));

  it.each([
    ["", /1 to 2048/],
    ["x".repeat(2049), /1 to 2048/],
    ["nova%ZZlite", /percent-encoded/],
    [enc(enc(SONNET)), /more than once/],
    ["nova-lite%252F..%252Fnova-pro", /more than once/],
    [`nova-lite%2F..%2F${SONNET}`, /'\.\.'/],
    [`nova-lite%2F${SONNET}`, /only a-z/],
    [enc(SONNET.toUpperCase()), /lower case/],
    [enc("Nova-lite"), /lower case/],
    [enc(`${SONNET} `), /only a-z/],
    [enc(` ${SONNET}`), /only a-z/],
    [enc(`${SONNET}\n`), /only a-z/],
    [enc(`${SONNET}\t`), /only a-z/],
    [enc("nova\u200b-lite"), /only a-z/],
    [enc("nova-lite?x=1"), /only a-z/],
    [enc("nova-lite#x"), /only a-z/],
    [enc("nova+lite"), /only a-z/],
    [enc("-nova"), /only a-z/],
    [enc(`arn:aws:bedrock:us-east-1::foundation-model/${SONNET}/x`), /not a Bedrock model ARN/],
    [enc(`arn:aws:bedrock:us-east-1::foundation-model/../${SONNET}`), /'\.\.'/],
    [enc("arn:aws:s3:::bucket/key"), /not a Bedrock model ARN/],
    [enc("arn:aws:bedrock:us-east-1:123456789012:prompt/prompt12345"), /prompt ARNs are not accepted/],
    [enc("arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1"), /default-prompt-router ARNs are not accepted/],
    [enc(`arn:aws:bedrock:us-east-1:123456789012:custom-model/${SONNET}/abc123def456`), /not a Bedrock model ARN/],
  ])("refuses %j", (segment, message) => {
    let err: unknown;
    try {
      modelIdFromPath(segment);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).code).toBe("invalid_model_id");
    expect((err as GatewayError).message).toMatch(message);
  });
});

describe("rawModelSegment", () => {
  it.each([
    ["http://h/bedrock/model/nova-lite/converse", "nova-lite"],
    [
      "http://h:8080/bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx.y/invoke",
      "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx.y",
    ],
    ["http://h/bedrock/model/a%252Fb/converse?x=1", "a%252Fb"],
    ["/bedrock/model/a/converse", "a"],
  ])("%s → %s", (url, segment) => expect(rawModelSegment(url)).toBe(segment));
});
