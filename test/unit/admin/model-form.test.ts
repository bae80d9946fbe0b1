import { describe, expect, it } from "vitest";
import { modelChangeFromFields, modelFlagsFromFields, modelSetCommand } from "../../../src/admin/model-form";

const targets = [{ modelId: "us.x.y-v1:0" }, { modelId: "global.x.y-v1:0", region: "us-east-1" }];

describe("the console's model form as `models set` words", () => {
  it.each([
    [{}, {}],
    [{ aliases: "a, b c" }, { alias: ["a,b,c"] }],
    [{ aliases: "" }, { alias: ["none"] }],
    [
      { input: "3", output: "15", cache_read: "", cache_write: "3.75" },
      { input: "3", output: "15", "cache-read": "none", "cache-write": "3.75" },
    ],
    [{ input: "", output: "", cache_read: "", cache_write: "" }, {}],
    [
      { target_1: "global.x.y-v1:0@us-east-1", target_1_input: "3", target_1_output: "15", target_1_cache_read: "", target_1_cache_write: "" },
      { "target-price": ["global.x.y-v1:0@us-east-1=3,15,,"] },
    ],
    [
      { target_0: "us.x.y-v1:0", target_0_input: "", target_0_output: "", target_0_cache_read: "", target_0_cache_write: "" },
      { "target-price": ["us.x.y-v1:0=none"] },
    ],
  ])("%j", (fields, flags) => {
    expect(modelFlagsFromFields(fields, targets)).toEqual({ ok: true, value: flags });
  });

  it("stores what the CLI stores: integer micro-dollars per million tokens", () => {
    const r = modelChangeFromFields(
      "m",
      { input: "0.000001", output: "12.5", cache_read: "", cache_write: "", target_0_input: "1", target_0_output: "2" },
      targets,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        alias: "m",
        price: { input: 1, output: 12_500_000, cacheRead: null, cacheWrite: null },
        targetPrices: [{ modelId: "us.x.y-v1:0", price: { input: 1_000_000, output: 2_000_000 } }],
      },
    });
  });

  it.each([
    [{ input: "abc", output: "1" }, "input", '--input must be an amount in USD with at most six decimals, such as 5 or 12.50 (got "abc")'],
    [{ input: "1", output: "1", cache_write: "-1" }, "cache_write", "--cache-write must be an amount in USD"],
    [{ aliases: "bad$name" }, "alias", "--alias must be a model name"],
    [{ target_0_output: "2" }, "target_0_input", "us.x.y-v1:0: a price of its own needs both input and output"],
  ])("refuses %j, naming the field", (fields, field, message) => {
    const r = modelChangeFromFields("m", fields, targets);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message).toContain(message);
    }
  });

  it("prints the same change as a command line", () => {
    const flags = modelFlagsFromFields({ input: "3", output: "15", aliases: "m-latest", target_1_input: "1", target_1_output: "2" }, targets);
    expect(flags.ok && modelSetCommand("m", flags.value)).toBe(
      "bedrock-gateway models set m --input 3 --output 15 --target-price global.x.y-v1:0@us-east-1=1,2,, --alias m-latest",
    );
  });
});
