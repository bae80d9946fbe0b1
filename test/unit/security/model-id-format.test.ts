/** Unlisted model names reach the allowlists (and Bedrock) only when spelled as Bedrock spells its ids. */
import { describe, expect, it } from "vitest";
import { isWellFormedModelId } from "../../../src/policy/models";

const SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0";

describe("isWellFormedModelId", () => {
  it.each([
    SONNET,
    `us.${SONNET}`,
    `global.${SONNET}`,
    `us-gov.${SONNET}`,
    "amazon.nova-lite-v1:0",
    "amazon.titan-embed-text-v2:0",
    "amazon.titan-text-express-v1:0:8k",
    "cohere.embed-english-v3",
    "meta.llama3-1-8b-instruct-v1:0",
    "ai21.jamba-1-5-large-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "deepseek.r1-v1:0",
    "openai.gpt-oss-120b-1:0",
    `arn:aws:bedrock:us-east-1::foundation-model/${SONNET}`,
    `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${SONNET}`,
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456",
    "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345:1",
    "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
  ])("accepts %s", (id) => expect(isWellFormedModelId(id)).toBe(true));

  it.each([
    "",
    "nova-lite",
    "gpt-4o",
    "us.nova-lite",
    "global.claude-sonnet-4-5",
    SONNET.toUpperCase(),
    `${SONNET} `,
    ` ${SONNET}`,
    `${SONNET}\n`,
    `anthropic.claude\u200b-sonnet`,
    "amazon.nova-lite-v1%3A0",
    `amazon.nova-lite-v1:0/../../model/${SONNET}`,
    `amazon.nova-lite-v1:0%2F..%2F${SONNET}`,
    `amazon.nova-..${SONNET}`,
    "amazon..nova",
    "amazon.nova-lite-v1:0?x=1",
    "amazon.nova-lite-v1:0#x",
    "amazon.nova-lite-v1:0;x",
    "amazon.nova+lite",
    "amazon.",
    ".amazon.nova",
    `arn:aws:bedrock:us-east-1::foundation-model/${SONNET}/../x`,
    "arn:aws:bedrock:us-east-1::foundation-model/nova-lite",
    `arn:aws:bedrock:us-east-1:123456789012:custom-model/${SONNET}/abc123def456`,
    "arn:aws:s3:::bucket/key",
    `arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/../${SONNET}`,
  ])("refuses %j", (id) => expect(isWellFormedModelId(id)).toBe(false));
});
