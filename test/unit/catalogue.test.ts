import { describe, expect, it } from "vitest";
import { inferModelEntry } from "../../src/catalogue";
import { catalogueFromRows, defaultModelRows, rowFromEntry, seedModelRows } from "../../src/models/catalogue";

describe("catalogue", () => {
  const cat = catalogueFromRows(
    defaultModelRows([{ id: "fast", bedrockModelId: "us.amazon.nova-micro-v1:0", aliases: ["quick"], price: { input: 0.035, output: 0.14 } }]),
  );

  it.each([
    ["claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["claude-sonnet-4-5-20250929", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["quick", "us.amazon.nova-micro-v1:0"],
    ["fast", "us.amazon.nova-micro-v1:0"],
  ])("resolves %s by alias, other name or a target's Bedrock id", (name, bedrockId) => expect(cat.resolve(name)?.bedrockModelId).toBe(bedrockId));

  it("a MODELS entry replaces the seed's entry of the same alias; its float price becomes exact micro-dollars", () => {
    const c = catalogueFromRows(
      defaultModelRows([{ id: "nova-pro", bedrockModelId: "eu.amazon.nova-pro-v1:0", price: { input: 0.8, output: 3.2, cacheRead: 0.2 } }]),
    );
    expect(c.resolve("nova-pro")?.bedrockModelId).toBe("eu.amazon.nova-pro-v1:0");
    expect(c.models.filter((m) => m.id === "nova-pro")).toHaveLength(1);
    expect(c.resolve("nova-pro")?.pricing?.price).toEqual({ input: 800_000, output: 3_200_000, cacheRead: 200_000 });
  });

  it("an entry without a price has an unknown price, never a free one", () => {
    const row = rowFromEntry({ id: "mystery", bedrockModelId: "us.amazon.nova-lite-v1:0" });
    expect(row.price).toBeNull();
    expect(catalogueFromRows([row]).resolve("mystery")?.pricing).toBeNull();
  });

  it("capabilities come from the family, and an entry's own statements override them", () => {
    const row = rowFromEntry({ id: "plain-nova", bedrockModelId: "us.amazon.nova-lite-v1:0", caching: false });
    const m = catalogueFromRows([row]).resolve("plain-nova")!;
    expect(m).toMatchObject({ vision: true, documents: true, caching: false, toolChoice: true });
  });

  it("a disabled model does not resolve, by any name", () => {
    const rows = seedModelRows().map((r) => (r.alias === "nova-lite" ? { ...r, enabled: false } : r));
    const c = catalogueFromRows(rows);
    expect(c.resolve("nova-lite")).toBeUndefined();
    expect(c.resolve("us.amazon.nova-lite-v1:0")).toBeUndefined();
    expect(c.resolve("nova-pro")).toBeDefined();
  });

  it("each target carries its own price where the seed gives one (global profiles cost less than geographic ones)", () => {
    const m = cat.resolve("claude-sonnet-4-5")!;
    const [us, global] = m.targets;
    expect(us!.pricing!.price.input).toBe(3_300_000);
    expect(global!.modelId).toMatch(/^global\./);
    expect(global!.pricing!.price.input).toBe(3_000_000);
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
