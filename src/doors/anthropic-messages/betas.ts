/**
 * `anthropic-beta` values Bedrock accepts in the body's `anthropic_beta` for each Claude model, after the beta
 * table of Bedrock's Claude Messages reference
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html).
 * Bedrock answers an unknown flag with a 400 ("invalid beta flag"), and Claude Code sends several betas Bedrock
 * does not know (claude-code-…, oauth-…, fine-grained tool streaming), so anything not listed is left out.
 * Prompt caching needs no beta on Bedrock.
 */
const CLAUDE_4 = ["computer-use-2025-01-24", "token-efficient-tools-2025-02-19", "interleaved-thinking-2025-05-14", "dev-full-thinking-2025-05-14"];

const BY_FAMILY: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/claude-opus-4-[56]/, [...CLAUDE_4, "effort-2025-11-24", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29", "context-management-2025-06-27"]],
  [/claude-(sonnet|haiku)-4-5/, [...CLAUDE_4, "context-1m-2025-08-07", "context-management-2025-06-27"]],
  [/claude-sonnet-4-6/, [...CLAUDE_4, "context-1m-2025-08-07", "context-management-2025-06-27"]],
  [/claude-sonnet-4-2/, [...CLAUDE_4, "context-1m-2025-08-07"]],
  [/claude-opus-4/, CLAUDE_4],
  [/claude-3-7-sonnet/, ["computer-use-2025-01-24", "token-efficient-tools-2025-02-19", "output-128k-2025-02-19"]],
  [/claude-3-5-sonnet-20241022/, ["computer-use-2024-10-22"]],
];

/** The betas of `requested` (header values, comma-separated, and body entries) that Bedrock takes for this model. */
export function bedrockBetas(modelId: string, requested: readonly string[]): string[] {
  const allowed = BY_FAMILY.find(([re]) => re.test(modelId))?.[1] ?? [];
  const out: string[] = [];
  for (const r of requested) {
    for (const b of r.split(",")) {
      const beta = b.trim();
      if (beta && allowed.includes(beta) && !out.includes(beta)) out.push(beta);
    }
  }
  return out;
}
