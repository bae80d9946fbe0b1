/**
 * A key limited to one model reaches no other, however the model is spelled: aliases, Bedrock ids, inference
 * profiles, ARNs, percent-encoding, path segments, case, whitespace and control characters, duplicate JSON keys, or
 * Bedrock fields in the body. The simulator records every call that reaches "Bedrock": a trick that got through
 * would show up there with another model id.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/server";
import { apiKeys } from "../../../src/db/schema";
import { openTestPostgres, type TestDb } from "../../support/db";
import { createHarness, type Harness } from "../faults/app-harness";

const NOVA_LITE = "amazon.nova-lite-v1:0";
/** What the catalogue's `nova-lite` calls. */
const NOVA_LITE_TARGET = `us.${NOVA_LITE}`;
const SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0";

let sim: Simulator;
let t: TestDb;
let h: Harness;
/** Allowed `nova-lite` only (the catalogue alias). */
let one: string;
/** Allowed the id pattern `amazon.nova-*`. */
let glob: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  t = await openTestPostgres();
  h = createHarness({ db: t.db, bedrockUrl: sim.url, env: { ALLOW_BEDROCK_PASSTHROUGH: "true" } });
  const limited = async (allowedModels: string[]) => {
    const k = await h.newKey("allowlist");
    await t.db.update(apiKeys).set({ allowedModels }).where(eq(apiKeys.id, k.id));
    return k.key;
  };
  one = await limited(["nova-lite"]);
  glob = await limited(["amazon.nova-*"]);
});
afterAll(async () => {
  await h.settle();
  await sim.close();
  await t.close();
});
beforeEach(() => sim.reset());

const ask = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: "hello" }], ...extra });
/** Model ids of every call that reached the simulator. */
const reached = () => sim.requests().map((r) => r.modelId);

async function expectRefused(res: Response, label: string) {
  expect([400, 404], label).toContain(res.status);
  const { error } = (await res.json()) as { error: { code: string | null; param: string | null } };
  if (res.status === 404) expect(error, label).toMatchObject({ code: "model_not_found", param: "model" });
}

describe("a key allowed only `nova-lite`", () => {
  it.each([
    // other names of a forbidden model
    ["alias", "claude-sonnet-4-5"],
    ["dated alias", "claude-sonnet-4-5-20250929"],
    ["Bedrock id", SONNET],
    ["US profile", `us.${SONNET}`],
    ["global profile", `global.${SONNET}`],
    ["foundation-model ARN", `arn:aws:bedrock:us-east-1::foundation-model/${SONNET}`],
    ["inference-profile ARN", `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${SONNET}`],
    ["application-inference-profile ARN (routes to Sonnet)", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simclaudesonnet45"],
    ["Nova Pro", "nova-pro"],
    ["Nova Pro id", "amazon.nova-pro-v1:0"],
    // the allowed name in spellings that are not it
    ["upper case", "NOVA-LITE"],
    ["mixed case", "Nova-Lite"],
    ["leading space", " nova-lite"],
    ["trailing space", "nova-lite "],
    ["trailing newline", "nova-lite\n"],
    ["tab", "nova-lite\t"],
    ["NUL", "nova-lite\u0000"],
    ["zero-width space", "nova\u200b-lite"],
    ["non-breaking hyphen", "nova\u2011lite"],
    ["fullwidth", "ｎｏｖａ-ｌｉｔｅ"],
    ["percent-encoded", "nova%2Dlite"],
    ["percent-encoded Sonnet id", "anthropic.claude-sonnet-4-5-20250929-v1%3A0"],
    ["region prefix on an alias", "us.nova-lite"],
    ["two names", "nova-lite,claude-sonnet-4-5"],
    ["glob", "nova-*"],
    ["star", "*"],
    // the allowed name with a path or query riding along
    ["path traversal after the alias", `nova-lite/../${SONNET}`],
    ["path traversal to another model route", `${NOVA_LITE}/../../model/${SONNET}`],
    ["encoded path traversal", `${NOVA_LITE}%2F..%2F..%2Fmodel%2F${SONNET}`],
    ["query string", `${NOVA_LITE}?model=${SONNET}`],
    ["fragment", `${NOVA_LITE}#${SONNET}`],
  ])("refuses the %s (%j) before Bedrock", async (label, model) => {
    await expectRefused(await h.post("/v1/chat/completions", one, ask(model)), label);
    await expectRefused(await h.post("/v1/chat/completions", one, ask(model, { stream: true })), `${label}, streamed`);
    expect(reached(), label).toEqual([]);
  });

  it("serves nova-lite itself, by its alias and by the profile id it calls", async () => {
    for (const model of ["nova-lite", NOVA_LITE_TARGET]) {
      expect((await h.post("/v1/chat/completions", one, ask(model))).status, model).toBe(200);
    }
    expect(reached()).toEqual([NOVA_LITE_TARGET, NOVA_LITE_TARGET]);
  });

  it("a duplicated `model` key is read once, as JSON.parse reads it (the last wins), for the check and the call alike", async () => {
    const body = (first: string, last: string) =>
      `{"model":${JSON.stringify(first)},"messages":[{"role":"user","content":"hi"}],"model":${JSON.stringify(last)}}`;
    await expectRefused(await h.post("/v1/chat/completions", one, body("nova-lite", "claude-sonnet-4-5")), "allowed first, forbidden last");
    expect(reached()).toEqual([]);
    expect((await h.post("/v1/chat/completions", one, body("claude-sonnet-4-5", "nova-lite"))).status).toBe(200);
    expect(reached()).toEqual([NOVA_LITE_TARGET]);
  });

  it("`model` as an array, object or number is a 400, not a lookup", async () => {
    for (const model of [["nova-lite", "claude-sonnet-4-5"], { id: "claude-sonnet-4-5" }, 1]) {
      const res = await h.post("/v1/chat/completions", one, { ...ask("x"), model });
      expect(res.status).toBe(400);
    }
    expect(reached()).toEqual([]);
  });

  it.each([
    ["additionalModelRequestFields naming another model", { additionalModelRequestFields: { model: SONNET, modelId: SONNET, model_id: SONNET } }],
    ["passthrough under `bedrock`", { bedrock: { additionalModelRequestFields: { modelId: SONNET } } }],
    ["top-level Bedrock spellings", { modelId: SONNET, model_id: SONNET, bedrockModelId: SONNET, inferenceProfileArn: `us.${SONNET}` }],
  ])("the body cannot switch the model: %s", async (_label, extra) => {
    await h.post("/v1/chat/completions", one, ask("nova-lite", extra));
    await (await h.post("/v1/chat/completions", one, ask("nova-lite", { ...extra, stream: true }))).text();
    // Converse names its model only in the URL (the body has no model member; the passthrough fields go to the
    // model as they are, with ALLOW_BEDROCK_PASSTHROUGH on), so both calls went to Nova Lite.
    expect(reached()).toEqual([NOVA_LITE_TARGET, NOVA_LITE_TARGET]);
    for (const r of sim.requests())
      expect(r.path).toBe(`/model/${encodeURIComponent(NOVA_LITE_TARGET)}/${r.operation === "Converse" ? "converse" : "converse-stream"}`);
  });

  it("embeddings and the model list follow the same list", async () => {
    await expectRefused(await h.post("/v1/embeddings", one, { model: "titan-embed-text-v2", input: "x" }), "embeddings");
    await expectRefused(await h.post("/v1/embeddings", one, { model: "amazon.titan-embed-text-v2:0", input: "x" }), "embeddings by id");
    expect(reached()).toEqual([]);
    const get = (path: string) => h.app.request(path, { headers: { authorization: `Bearer ${one}` } });
    expect((await get("/v1/models/claude-sonnet-4-5")).status).toBe(404);
    expect((await get(`/v1/models/${encodeURIComponent(SONNET)}`)).status).toBe(404);
    const list = (await (await get("/v1/models")).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(["nova-lite"]);
  });
});

describe("a key allowed the id pattern `amazon.nova-*`", () => {
  it.each([
    ["path traversal", `${NOVA_LITE}/../../model/${SONNET}`],
    ["encoded path traversal", `${NOVA_LITE}%2F..%2F..%2Fmodel%2F${SONNET}`],
    ["dot segments", `amazon.nova-..${SONNET}`],
    ["query string", `${NOVA_LITE}?x=${SONNET}`],
    ["trailing space", `${NOVA_LITE} `],
    ["embedded space", `amazon.nova-lite ${SONNET}`],
    ["upper case", NOVA_LITE.toUpperCase()],
    ["Sonnet", SONNET],
    ["application profile ARN", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simnovapro"],
  ])("refuses %s (%j) before Bedrock", async (label, model) => {
    await expectRefused(await h.post("/v1/chat/completions", glob, ask(model)), label);
    expect(reached(), label).toEqual([]);
  });

  it("serves what the pattern names, and only that reaches Bedrock", async () => {
    for (const model of ["nova-lite", "nova-pro", NOVA_LITE, `us.${NOVA_LITE}`, "amazon.nova-micro-v1:0"]) {
      expect((await h.post("/v1/chat/completions", glob, ask(model))).status, model).toBe(200);
    }
    for (const id of reached()) expect(id).toMatch(/^(us\.)?amazon\.nova-[a-z]+-v1:0$/);
  });
});
