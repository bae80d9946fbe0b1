/**
 * The deployment docs against the code: every setting of ConfigSchema is in the README's settings table, the
 * settings both tables list have one default, and each IAM policy allows every Bedrock action the client calls.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../src/config";

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");
const readme = read("README.md");
const deploy = read("docs/deploy.md");
const client = read("src/bedrock/client.ts");

/** `| \`NAME\` | default | meaning |` rows naming one variable: name → default cell. */
function defaults(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^\| `([A-Z][A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The actions of every IAM policy (a JSON block with a Statement) in a document. */
function policies(markdown: string): string[][] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((m) => JSON.parse(m[1]!) as { Statement?: { Action: string | string[] }[] })
    .filter((doc) => Array.isArray(doc.Statement))
    .map((doc) => doc.Statement!.flatMap((s) => s.Action));
}

describe("settings tables", () => {
  const inReadme = defaults(readme);
  const inDeploy = defaults(deploy);
  const names = Object.keys(ConfigSchema.shape);

  it.each(names)("README lists %s", (name) => {
    expect(readme).toMatch(new RegExp(`^\\| [^|]*\`${name}\``, "m"));
  });

  it.each(["DB_OUTAGE_POLICY", "MAX_CONCURRENT_REQUESTS", "MAX_CONCURRENT_PER_KEY", "USAGE_QUEUE_MAX", "DB_POOL_MAX", "DB_PREPARE", "ADMISSION_LEASE_MAX"])(
    "docs/deploy.md lists %s",
    (name) => {
      expect(inDeploy.has(name)).toBe(true);
    },
  );

  it.each([...inDeploy.keys()].filter((n) => inReadme.has(n)))("%s has the same default in README and docs/deploy.md", (name) => {
    expect(inDeploy.get(name)).toBe(inReadme.get(name));
  });

  it.each([
    ["DB_OUTAGE_POLICY", "`fail-closed`"],
    ["MAX_CONCURRENT_REQUESTS", "`2048`"],
    ["MAX_CONCURRENT_PER_KEY", "`0`"],
    ["USAGE_QUEUE_MAX", "`100000`"],
  ])("%s's documented default is the schema's", (name, documented) => {
    const parsed = ConfigSchema.shape[name as keyof typeof ConfigSchema.shape].parse(undefined);
    expect(documented).toBe(`\`${String(parsed)}\``);
    expect(inReadme.get(name)).toBe(documented);
  });
});

describe("IAM policies", () => {
  const needed = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"];
  // The client calls CountTokens (`/model/{id}/count-tokens`): the policies must allow it.
  if (client.includes('"count-tokens"')) needed.push("bedrock:CountTokens");

  it.each([
    ["README.md", readme],
    ["docs/deploy.md", deploy],
  ])("%s's policy allows every action the gateway calls", (_doc, markdown) => {
    const found = policies(markdown);
    expect(found.length).toBeGreaterThan(0);
    for (const actions of found) expect(actions).toEqual(expect.arrayContaining(needed));
  });
});
