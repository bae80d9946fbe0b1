/**
 * Claude extended thinking (`additionalModelRequestFields.thinking`), checked the way Anthropic's API behind
 * Bedrock checks it (messages prefixed "The model returned the following errors:"):
 * - only on models with thinking; `type` enabled|disabled; budget_tokens >= 1024 and < maxTokens (unless the
 *   interleaved-thinking beta is on: then the budget spans the whole turn and may exceed maxTokens);
 * - temperature may only be 1, top_p >= 0.95 or unset, no top_k, no forced tool choice (`any`/`tool`);
 * - the current assistant turn (the assistant messages after the last user message that is not only tool
 *   results) must start with a reasoning block: this covers a tool loop in progress and an assistant prefill.
 *   Reasoning blocks in that turn must carry a signature this simulator issued for exactly that text.
 *   Reasoning blocks of earlier turns are ignored, as Anthropic strips them.
 */
import { modelValidation } from "./errors";
import type { SimModel } from "./models";
import { verifyReasoning } from "./reasoning";
import { isObj, type Block, type ConverseBody, type Message } from "./wire";

const DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

/** `interleaved`: the anthropic_beta flag that lets Claude think again after tool results within one turn. */
export type Thinking = { budgetTokens: number; interleaved: boolean };

function blockType(b: Block | undefined): string {
  if (!b) return "nothing";
  if (b.toolUse) return "tool_use";
  if (b.text !== undefined) return "text";
  if (b.toolResult) return "tool_result";
  return Object.keys(b)[0] ?? "nothing";
}

function onlyToolResults(content: Block[]): boolean {
  const real = content.filter((b) => !b.cachePoint);
  return real.length > 0 && real.every((b) => b.toolResult);
}

/** Index of the first message of the current assistant turn: after the last user message that is not only tool results. */
export function currentTurnStart(msgs: Message[]): number {
  let u = msgs.length - 1;
  while (u >= 0 && !(msgs[u]!.role === "user" && !onlyToolResults(msgs[u]!.content))) u--;
  return u + 1;
}

function checkCurrentTurn(body: ConverseBody): void {
  const msgs = body.messages;
  const u = currentTurnStart(msgs) - 1;
  for (let i = u + 1; i < msgs.length; i++) {
    const msg = msgs[i]!;
    if (msg.role !== "assistant") continue;
    const content = msg.content.filter((b) => !b.cachePoint);
    if (i === u + 1 && !content[0]?.reasoningContent) {
      throw modelValidation(
        `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blockType(content[0])}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. ${DOCS}`,
      );
    }
    msg.content.forEach((b, j) => {
      const rt = b.reasoningContent?.reasoningText;
      if (!rt) return;
      if (typeof rt.signature !== "string") throw modelValidation(`messages.${i}.content.${j}.thinking.signature: Field required`);
      if (!verifyReasoning(rt.text, rt.signature)) throw modelValidation(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
    });
  }
}

export function checkThinking(body: ConverseBody, model: SimModel): Thinking | undefined {
  const fields = body.additionalModelRequestFields;
  const thinking = fields?.thinking;
  if (thinking === undefined) return undefined;
  if (!model.thinking) {
    throw model.provider === "Anthropic"
      ? modelValidation("thinking: Extra inputs are not permitted")
      : modelValidation("Malformed input request: #: extraneous key [thinking] is not permitted, please reformat your input and try again.");
  }
  const t = isObj(thinking) ? thinking : {};
  if (t.type === "disabled") return undefined;
  if (t.type !== "enabled") {
    throw modelValidation(`thinking: Input tag '${String(t.type)}' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'`);
  }
  const budget = t.budget_tokens;
  if (budget === undefined) throw modelValidation("thinking.enabled.budget_tokens: Field required");
  if (typeof budget !== "number" || !Number.isInteger(budget)) throw modelValidation("thinking.enabled.budget_tokens: Input should be a valid integer");
  if (budget < 1024) throw modelValidation("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
  const inf = body.inferenceConfig ?? {};
  const maxTokens = inf.maxTokens ?? model.maxOutputTokens;
  const beta = fields?.anthropic_beta;
  const interleaved = Array.isArray(beta) && beta.some((b) => String(b).startsWith("interleaved-thinking"));
  // With interleaved thinking the budget covers every thinking block of the turn, so it may exceed max_tokens.
  if (budget >= maxTokens && !interleaved) {
    throw modelValidation(`\`max_tokens\` must be greater than \`thinking.budget_tokens\`. ${DOCS}#max-tokens-and-context-window-size`);
  }
  if (inf.temperature !== undefined && inf.temperature !== 1) {
    throw modelValidation(`\`temperature\` may only be set to 1 when thinking is enabled. ${DOCS}#important-considerations-when-using-extended-thinking`);
  }
  if (inf.topP !== undefined && inf.topP < 0.95) {
    throw modelValidation(
      `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. ${DOCS}#important-considerations-when-using-extended-thinking`,
    );
  }
  if (fields?.top_k !== undefined) {
    throw modelValidation(`\`top_k\` must be unset when thinking is enabled. ${DOCS}#important-considerations-when-using-extended-thinking`);
  }
  const choice = body.toolConfig?.toolChoice;
  if (choice?.any || choice?.tool) throw modelValidation("Thinking may not be enabled when tool_choice forces tool use.");
  checkCurrentTurn(body);
  return { budgetTokens: budget, interleaved };
}
