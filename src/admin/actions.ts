// The console's changes, each through the same db function as the CLI's command (createKey, updateKey, rotateKey,
// revokeKey, setModel, setModelEnabled), so each writes its audit_log row, with the console session as the actor, and its
// change notice. Pages and the JSON API both call these.
import type { Db } from "../db/client";
import { AdminError } from "../db/audit";
import { AmbiguousKeyError, type CreatedKey, createKey, revokeKey, rotateKey, updateKey } from "../db/keys";
import { findModelRow, setModel, setModelEnabled } from "../db/models";
import type { Clock } from "../deps";
import { GatewayError } from "../errors";
import { type Parsed, parseGrace, parseKeyUpdate, parseNewKey } from "./forms";
import { modelChangeFromFields } from "./model-form";

const invalid = (param: string, message: string) => GatewayError.invalidRequest(param, message, "invalid_field");
const keyNotFound = (id: string) => GatewayError.notFound(`No key ${id}.`, "key_not_found", "id");

function parsedOrThrow<T>(p: Parsed<T>): T {
  if (!p.ok) throw invalid(p.field, p.message);
  return p.value;
}

/** AdminError and AmbiguousKeyError are the admin's to fix: a 409 or 400 that says what to do. */
async function asAdminChange<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AdminError) throw new GatewayError({ status: 409, type: "invalid_request_error", code: "conflict", message: err.message });
    if (err instanceof AmbiguousKeyError) throw invalid("id", err.message);
    throw err;
  }
}

export type ActionContext = { db: Db; clock: Clock; actor: string };

export async function createKeyAction(ctx: ActionContext, fields: Record<string, unknown>): Promise<CreatedKey> {
  const input = parsedOrThrow(parseNewKey(fields, ctx.clock.now(), ctx.actor));
  return asAdminChange(() => createKey(ctx.db, input, ctx.clock));
}

export async function updateKeyAction(ctx: ActionContext, id: string, fields: Record<string, unknown>) {
  const update = parsedOrThrow(parseKeyUpdate(fields, ctx.clock.now()));
  const r = await asAdminChange(() => updateKey(ctx.db, id, update, ctx.clock, ctx.actor));
  if (!r) throw keyNotFound(id);
  return r;
}

export async function rotateKeyAction(ctx: ActionContext, id: string, fields: Record<string, unknown>) {
  const graceUntil = parsedOrThrow(parseGrace(fields.grace, ctx.clock.now()));
  const r = await asAdminChange(() => rotateKey(ctx.db, id, { graceUntil }, ctx.clock, ctx.actor));
  if (!r) throw keyNotFound(id);
  return r;
}

export async function revokeKeyAction(ctx: ActionContext, id: string) {
  const r = await asAdminChange(() => revokeKey(ctx.db, id, ctx.clock, ctx.actor));
  if (!r) throw keyNotFound(id);
  return r;
}

const modelNotFound = (alias: string) => GatewayError.notFound(`No model ${alias}.`, "model_not_found", "alias");

/** Other names and prices of an existing model, as `models set ALIAS --alias … --input … --target-price …`. */
export async function setModelAction(ctx: ActionContext, alias: string, fields: Record<string, unknown>) {
  const current = await findModelRow(ctx.db, alias);
  if (!current) throw modelNotFound(alias);
  const change = parsedOrThrow(modelChangeFromFields(alias, fields, current.targets));
  return asAdminChange(() => setModel(ctx.db, change, ctx.clock, ctx.actor));
}

export async function setModelEnabledAction(ctx: ActionContext, alias: string, enabled: boolean) {
  const r = await setModelEnabled(ctx.db, alias, enabled, ctx.clock, ctx.actor);
  if (!r) throw modelNotFound(alias);
  return r;
}

/** The two lines an OpenAI client needs, with the base URL clients use to reach this gateway. */
export function openAIEnv(baseUrl: string, key: string): string {
  return `OPENAI_BASE_URL=${baseUrl}\nOPENAI_API_KEY=${key}`;
}
