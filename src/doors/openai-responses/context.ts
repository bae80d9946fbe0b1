/**
 * The conversation a Responses request continues, and what is kept of it: earlier turns loaded by
 * `previous_response_id`, reasoning items opened from their `encrypted_content`, and the row written for the
 * next turn. Item contents are never logged.
 */
import type { ReasoningContentBlock } from "../../bedrock/converse-types";
import type { Db } from "../../db/client";
import { withDeadline } from "../../db/deadline";
import { findOutputItems, findResponse, findStoredItems, insertResponse, type StoredResponse } from "../../db/responses";
import { randomId } from "../../deps";
import { GatewayError } from "../../errors";
import type { Identity } from "../../gateway/identity";
import type { Sealer } from "./seal";
import type { OutputItem, RequestItem, ResponseObject, ResponsesRequest } from "./schema";
import type { ContextItem } from "./to-chat";

/** Whose responses these are: the key (a key never sees another key's responses), or a JWT caller's user. */
export function ownerOf(identity: Identity): string {
  return identity.keyId !== null ? `key:${identity.keyId}` : `user:${identity.user}`;
}

export type Conversation = {
  items: ContextItem[];
  /** How many of `items` came from earlier turns (the request's own input follows). */
  offset: number;
  warnings: string[];
};

/** Loads earlier turns and opens this input's sealed reasoning items. */
export async function loadConversation(
  req: ResponsesRequest,
  o: { db: Db; owner: string; now: number; sealer: Sealer; dbTimeoutMs: number },
): Promise<Conversation> {
  const warnings: string[] = [];
  let prior: ContextItem[] = [];
  if (req.previous_response_id) {
    const row = await withDeadline(findResponse(o.db, req.previous_response_id, o.owner, o.now), o.dbTimeoutMs);
    if (!row) {
      throw GatewayError.notFound(`Previous response with id '${req.previous_response_id}' not found.`, "previous_response_not_found", "previous_response_id");
    }
    prior = [...(row.inputItems as ContextItem[]), ...(row.outputItems as ContextItem[])];
  }
  const sent: RequestItem[] = typeof req.input === "string" ? [{ type: "message", role: "user", content: req.input }] : (req.input ?? []);
  const refs = [...new Set(sent.flatMap((item) => (item.type === "item_reference" ? [item.id] : [])))];
  const stored = refs.length > 0 ? await withDeadline(findStoredItems(o.db, refs, o.owner, o.now), o.dbTimeoutMs) : [];
  const input = withReferencedItems(sent, stored);
  const own: ContextItem[] = [];
  for (const [k, item] of input.entries()) {
    if (item.type === "reasoning" && !item.blocks && item.encrypted_content) {
      const blocks = await o.sealer.open(o.owner, item.encrypted_content);
      if (blocks) {
        own.push({ ...item, blocks });
        continue;
      }
      warnings.push(`input[${k}].encrypted_content could not be opened (sealed for another key or by an earlier gateway secret): its reasoning was not sent`);
    }
    own.push(item);
  }
  // Reasoning items sent by id alone (a client that keeps item ids, not their content): their thinking comes
  // from the caller's stored responses.
  const byId = own.flatMap((item, k) => (item.type === "reasoning" && !item.blocks && !item.encrypted_content && item.id ? [{ k, id: item.id }] : []));
  if (byId.length > 0) {
    const stored = await withDeadline(
      findOutputItems(
        o.db,
        byId.map((r) => r.id),
        o.owner,
        o.now,
      ),
      o.dbTimeoutMs,
    );
    const blocksOf = new Map(stored.map((s) => [s.id as string, s.blocks as ReasoningContentBlock[] | undefined]));
    for (const { k, id } of byId) {
      const blocks = blocksOf.get(id);
      if (blocks?.length) own[k] = { ...own[k]!, blocks };
      else
        warnings.push(
          `input[${k}]: reasoning item '${id}' is not stored for this key (expired, deleted or sent with store: false): its reasoning was not sent`,
        );
    }
  }
  return { items: [...prior, ...own], offset: prior.length, warnings };
}

/**
 * The input with each `item_reference` replaced by the stored item it names (`stored`: the caller's items found by
 * those ids, with their thinking blocks). A reference to an item the caller has not stored is a 404 naming it, in
 * OpenAI's words.
 */
export function withReferencedItems(input: RequestItem[], stored: Record<string, unknown>[]): ContextItem[] {
  const byId = new Map(stored.map((item) => [item.id, item]));
  return input.map((item, k) => {
    if (item.type !== "item_reference") return item;
    const found = byId.get(item.id);
    if (!found) {
      throw GatewayError.notFound(
        `Item with id '${item.id}' not found. Items are kept only from responses stored for this key (\`store\` not false) until they expire: send the item itself, or remove this reference from your input.`,
        null,
        `input[${k}]`,
      );
    }
    return found as ContextItem;
  });
}

/** Reasoning items get their sealed thinking when the client asked for it (`include`), else none. */
export async function sealReasoning(
  output: OutputItem[],
  reasoning: Record<string, ReasoningContentBlock[]>,
  seal: ((blocks: ReasoningContentBlock[]) => Promise<string>) | null,
): Promise<void> {
  if (!seal) return;
  for (const item of output) {
    const blocks = item.type === "reasoning" ? reasoning[item.id] : undefined;
    if (item.type === "reasoning" && blocks?.length) item.encrypted_content = await seal(blocks);
  }
}

/** The row kept for the next turn: items carry their thinking blocks, never their sealed form. */
export function toStoredResponse(
  response: ResponseObject,
  conversation: Conversation,
  reasoning: Record<string, ReasoningContentBlock[]>,
  o: { owner: string; now: number; ttlHours: number },
): StoredResponse {
  const inputItems = conversation.items.map((item) => {
    const { encrypted_content: _sealed, ...rest } = item as ContextItem & { encrypted_content?: unknown };
    const kept: Record<string, unknown> = { ...rest };
    if (!kept.id)
      kept.id = `${item.type === "function_call" ? "fc" : item.type === "reasoning" ? "rs" : item.type === "function_call_output" ? "fco" : "msg"}_${randomId(32)}`;
    return kept;
  });
  const outputItems = response.output.map((item) => {
    const { encrypted_content: _sealed, ...rest } = item as OutputItem & { encrypted_content?: unknown };
    return item.type === "reasoning" ? { ...rest, blocks: reasoning[item.id] ?? [] } : { ...rest };
  });
  return {
    id: response.id,
    owner: o.owner,
    model: response.model,
    status: response.status,
    response: publicResponse(response) as unknown as Record<string, unknown>,
    inputItems,
    outputItems,
    createdAt: new Date(o.now),
    expiresAt: new Date(o.now + o.ttlHours * 3_600_000),
  };
}

/** A response as GET returns it: no sealed content (the client that asked for it already has it). */
export function publicResponse(response: ResponseObject): ResponseObject {
  return {
    ...response,
    output: response.output.map((item) => {
      if (item.type !== "reasoning" || item.encrypted_content === undefined) return item;
      const { encrypted_content: _sealed, ...rest } = item;
      return rest;
    }),
  };
}

/**
 * A stored response as GET returns it. Sealed reasoning is returned only when asked for with
 * `include=reasoning.encrypted_content` (as on POST): sealed afresh from the stored thinking blocks.
 */
export async function retrievedResponse(
  row: StoredResponse,
  seal: ((blocks: ReasoningContentBlock[]) => Promise<string>) | null,
): Promise<Record<string, unknown>> {
  if (!seal) return row.response;
  const blocksOf = new Map(row.outputItems.map((item) => [item.id, item.blocks as ReasoningContentBlock[] | undefined]));
  const output = await Promise.all(
    ((row.response.output ?? []) as OutputItem[]).map(async (item) => {
      const blocks = item.type === "reasoning" ? blocksOf.get(item.id) : undefined;
      return blocks?.length ? { ...item, encrypted_content: await seal(blocks) } : item;
    }),
  );
  return { ...row.response, output };
}

/** An item as `GET /v1/responses/{id}/input_items` lists it: without the gateway's own fields. */
export function publicItem(item: Record<string, unknown>): Record<string, unknown> {
  const { blocks: _blocks, ...rest } = item;
  return rest;
}

/** Writes the row; a failure is logged (never the contents) and the response still goes out. */
export async function storeResponse(db: Db, row: StoredResponse, dbTimeoutMs: number): Promise<boolean> {
  try {
    await withDeadline(insertResponse(db, row), dbTimeoutMs);
    return true;
  } catch {
    return false;
  }
}
