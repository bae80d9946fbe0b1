import { describe, expect, it } from "vitest";
import { createCatalogue, DEFAULT_MODELS, inferModelEntry, mergeModels } from "../../src/catalogue";

describe("catalogue", () => {
  const cat = createCatalogue(mergeModels(DEFAULT_MODELS, [{ id: "fast", bedrockModelId: "us.amazon.nova-micro-v1:0", aliases: ["quick"] }]));

  it.each([
    ["claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["quick", "us.amazon.nova-micro-v1:0"],
    ["fast", "us.amazon.nova-micro-v1:0"],
  ])("resolves %s by id, alias or Bedrock id", (name, bedrockId) => expect(cat.resolve(name)?.bedrockModelId).toBe(bedrockId));

  it("lets an admin entry with the same id replace a default", () => {
    const c = createCatalogue(mergeModels(DEFAULT_MODELS, [{ id: "nova-pro", bedrockModelId: "eu.amazon.nova-pro-v1:0" }]));
    expect(c.resolve("nova-pro")?.bedrockModelId).toBe("eu.amazon.nova-pro-v1:0");
    expect(c.models.filter((m) => m.id === "nova-pro")).toHaveLength(1);
  });

  it.each([
    ["anthropic.claude-sonnet-4-20250514-v1:0", { reasoning: "claude-thinking", caching: true, vision: true }],
    ["eu.anthropic.claude-3-5-sonnet-20240620-v1:0", { reasoning: "none", caching: false }],
    ["us.amazon.nova-lite-v1:0", { caching: true, vision: true, reasoning: "none" }],
    ["mistral.mistral-large-2407-v1:0", { caching: false, vision: false, ownedBy: "mistral" }],
    ["arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", { caching: false, kind: "chat" }],
    ["amazon.titan-embed-text-v2:0", { kind: "embedding", embeddingFormat: "titan-v2" }],
  ])("infers conservative capabilities for the unlisted id %s", (id, expected) =>
    expect(inferModelEntry(id)).toMatchObject({ id, bedrockModelId: id, ...expected }),
  );

  it.each(["gpt-4o", "no such model!", "", "claude", "../etc/passwd"])("does not treat %j as a Bedrock id", (name) =>
    expect(inferModelEntry(name)).toBeUndefined(),
  );
});
