import { type ApiKeyRecord, type CreatedKey, createKey, keyStatus, listKeys, revokeKey, rotateKey, updateKey } from "../../db/keys";
import type { Changes } from "../../db/audit";
import { type FlagSpec, parseFlags, pickSubcommand } from "../args";
import { describeDatabase, printJson, withDatabase, type CliContext, type Io, type Opened } from "../context";
import { UsageError, cell, formatDate, spentOf, table } from "../format";
import { POLICY_FLAGS, policyPatch } from "../policy-flags";
import { changesJson, createdKeyJson, keyJson, keyListingJson } from "../shapes";
import { describeChanges, describePolicy } from "./describe";
import { isNone, optionalText, parseEmail, parseExpires, parseGrace } from "../values";

const SUBCOMMANDS = ["create", "update", "rotate", "revoke", "list"] as const;
/** How long a rotated key keeps working when `--grace` is not given: a day to roll the new key out. */
const DEFAULT_GRACE = "24h";

export async function keysCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (pickSubcommand("keys", sub === "ls" ? "list" : sub, SUBCOMMANDS)) {
    case "create":
      return createCommand(rest, ctx);
    case "update":
      return updateCommand(rest, ctx);
    case "rotate":
      return rotateCommand(rest, ctx);
    case "revoke":
      return revokeCommand(rest, ctx);
    case "list":
      return listCommand(rest, ctx);
  }
}

const CREATE_FLAGS = { user: "string", team: "string", name: "string", ...POLICY_FLAGS, expires: "string", json: "boolean" } satisfies FlagSpec;

async function createCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags(args, CREATE_FLAGS);
  const policy = policyPatch(values);
  const input = {
    user: parseEmail(values.user),
    team: optionalText(values.team, "--team"),
    name: optionalText(values.name, "--name"),
    expiresAt: values.expires === undefined ? null : parseExpires(values.expires, ctx.clock.now()),
    allowedModels: policy.allowedModels ?? null,
    rpmLimit: policy.rpmLimit ?? null,
    tpmLimit: policy.tpmLimit ?? null,
    budgetDailyMicros: policy.budgetDailyMicros ?? null,
    budgetMonthlyMicros: policy.budgetMonthlyMicros ?? null,
    actor: ctx.actor,
  };
  return withDatabase(ctx, async (opened) => {
    const created = await createKey(opened.database.db, input, ctx.clock);
    if (values.json) printJson(ctx.io, createdKeyJson(created));
    else printCreated(ctx.io, `Created API key ${created.id}`, created, opened);
    return 0;
  });
}

// The key goes last, alone on its line, so `... | tail -n 1` captures it.
function printCreated(io: Io, title: string, k: CreatedKey, opened: Opened): void {
  io.out(title);
  io.out(`  user:     ${k.user}`);
  io.out(`  team:     ${k.team ?? "-"}`);
  io.out(`  name:     ${k.name ?? "-"}`);
  io.out(`  prefix:   ${k.prefix}`);
  for (const line of describePolicy(k)) io.out(`  ${line}`);
  io.out(`  expires:  ${k.expiresAt ? formatDate(k.expiresAt) : "never"}`);
  io.out(`  database: ${describeDatabase(opened)}`);
  io.out("The key is shown only this once; store it now:");
  io.out(k.key);
}

const notFound = (io: Io, target: string) => {
  io.err(`bedrock-gateway: no key matches "${target}" (see \`bedrock-gateway keys list\`)`);
  return 1;
};

function keyArgument(positionals: string[], sub: string): string {
  const target = positionals[0]?.trim();
  if (!target) throw new UsageError(`keys ${sub} needs a key id or prefix (see \`bedrock-gateway keys list\`)`);
  return target;
}

const UPDATE_FLAGS = { ...POLICY_FLAGS, expires: "string", json: "boolean" } satisfies FlagSpec;

async function updateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, UPDATE_FLAGS, 1);
  const target = keyArgument(positionals, "update");
  const update = {
    ...policyPatch(values),
    // `--expires none` (or `never`) removes the expiry.
    ...(values.expires === undefined
      ? {}
      : { expiresAt: isNone(values.expires) || values.expires.trim() === "never" ? null : parseExpires(values.expires, ctx.clock.now()) }),
  };
  if (Object.keys(update).length === 0)
    throw new UsageError("keys update needs something to change: --models, --rpm, --tpm, --budget-daily, --budget-monthly or --expires");
  return withDatabase(ctx, async ({ database }) => {
    const result = await updateKey(database.db, target, update, ctx.clock, ctx.actor);
    if (!result) return notFound(ctx.io, target);
    const { key, changes } = result;
    if (values.json) printJson(ctx.io, { ...keyJson(key, keyStatus(key, ctx.clock.now())), changes: changesJson(changes) });
    else printChanges(ctx.io, `key ${key.prefix} (${key.user})`, changes);
    return 0;
  });
}

function printChanges(io: Io, what: string, changes: Changes): void {
  const lines = describeChanges(changes);
  if (lines.length === 0) {
    io.out(`Nothing to change: ${what} already has these settings.`);
    return;
  }
  io.out(`Updated ${what}:`);
  for (const line of lines) io.out(`  ${line}`);
}

const ROTATE_FLAGS = { grace: "string", expires: "string", json: "boolean" } satisfies FlagSpec;

async function rotateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, ROTATE_FLAGS, 1);
  const target = keyArgument(positionals, "rotate");
  const now = ctx.clock.now();
  const graceUntil = parseGrace(values.grace ?? DEFAULT_GRACE, now);
  const expiresAt = values.expires === undefined ? null : parseExpires(values.expires, now);
  return withDatabase(ctx, async (opened) => {
    const rotated = await rotateKey(opened.database.db, target, { graceUntil, expiresAt }, ctx.clock, ctx.actor);
    if (!rotated) return notFound(ctx.io, target);
    const { created, old } = rotated;
    if (values.json) {
      printJson(ctx.io, createdKeyJson(created));
      return 0;
    }
    const until = old.expiresAt && old.expiresAt.getTime() <= now ? "now" : `until ${formatDate(old.expiresAt)}`;
    ctx.io.out(`Rotated key ${old.prefix} (${old.user}): it keeps working ${until}.`);
    printCreated(ctx.io, `New API key ${created.id}`, created, opened);
    return 0;
  });
}

async function revokeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: "boolean" }, 1);
  const target = keyArgument(positionals, "revoke");
  return withDatabase(ctx, async ({ database }) => {
    const revoked = await revokeKey(database.db, target, ctx.clock, ctx.actor);
    if (!revoked) return notFound(ctx.io, target);
    if (values.json) {
      printJson(ctx.io, { ...keyJson(revoked, "revoked"), already_revoked: revoked.alreadyRevoked });
    } else if (revoked.alreadyRevoked) {
      ctx.io.out(`Key ${revoked.id} (${revoked.prefix}, ${revoked.user}) was already revoked at ${formatDate(revoked.revokedAt)}.`);
    } else {
      ctx.io.out(`Revoked key ${revoked.id} (${revoked.prefix}, ${revoked.user}).`);
    }
    return 0;
  });
}

async function listCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags(args, { user: "string", team: "string", json: "boolean" });
  const filter = {
    user: values.user === undefined ? undefined : parseEmail(values.user),
    team: optionalText(values.team, "--team") ?? undefined,
  };
  return withDatabase(ctx, async ({ database }) => {
    const keys = await listKeys(database.db, filter, ctx.clock);
    const now = ctx.clock.now();
    if (values.json) {
      printJson(
        ctx.io,
        keys.map((k) => keyListingJson(k, keyStatus(k, now))),
      );
      return 0;
    }
    if (keys.length === 0) {
      ctx.io.out("No API keys.");
      return 0;
    }
    const rows = keys.map((k) => [
      k.prefix,
      k.user,
      cell(k.team),
      cell(k.name),
      cell(k.allowedModels?.join(",")),
      cell(k.rpmLimit),
      cell(k.tpmLimit),
      spentOf(k.spentTodayMicros, k.budgetDailyMicros),
      spentOf(k.spentMonthMicros, k.budgetMonthlyMicros),
      formatDate(k.lastUsedAt),
      statusCell(k, now),
    ]);
    const headers = ["PREFIX", "USER", "TEAM", "NAME", "MODELS", "RPM", "TPM", "TODAY USD", "MONTH USD", "LAST USED", "STATUS"];
    for (const line of table(headers, rows, [false, false, false, false, false, true, true, true, true])) ctx.io.out(line);
    return 0;
  });
}

// A key that still works for a while says until when.
function statusCell(k: ApiKeyRecord, now: number): string {
  const status = keyStatus(k, now);
  if ((status === "active" || status === "rotated") && k.expiresAt && k.expiresAt.getTime() > now) return `${status} until ${formatDate(k.expiresAt)}`;
  return status;
}
