import { createKey, keyStatus, listKeys, revokeKey, type ApiKeyRecord } from "../../db/keys";
import { describeDatabase, parseCommandArgs, printJson, withDatabase, type CliContext } from "../context";
import { UsageError, formatDate, optionalText, parseEmail, parseExpires, table } from "../format";

export async function keysCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "create":
      return createCommand(rest, ctx);
    case "list":
    case "ls":
      return listCommand(rest, ctx);
    case "revoke":
      return revokeCommand(rest, ctx);
    case undefined:
      throw new UsageError("keys needs a subcommand: create, list or revoke");
    default:
      throw new UsageError(`unknown keys subcommand "${sub}" (expected create, list or revoke)`);
  }
}

async function createCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    user: { type: "string" },
    team: { type: "string" },
    name: { type: "string" },
    expires: { type: "string" },
    json: { type: "boolean" },
  });
  const input = {
    user: parseEmail(values.user),
    team: optionalText(values.team, "--team"),
    name: optionalText(values.name, "--name"),
    expiresAt: values.expires === undefined ? null : parseExpires(values.expires, ctx.clock.now()),
    actor: ctx.actor,
  };
  return withDatabase(ctx, async (opened) => {
    const created = await createKey(opened.database.db, input, ctx.clock);
    const { io } = ctx;
    if (values.json) {
      printJson(io, {
        id: created.id,
        key: created.key,
        prefix: created.prefix,
        user: created.user,
        team: created.team,
        name: created.name,
        createdAt: created.createdAt.toISOString(),
        expiresAt: created.expiresAt?.toISOString() ?? null,
      });
      return 0;
    }
    io.out(`Created API key ${created.id}`);
    io.out(`  user:     ${created.user}`);
    io.out(`  team:     ${created.team ?? "-"}`);
    io.out(`  name:     ${created.name ?? "-"}`);
    io.out(`  prefix:   ${created.prefix}`);
    io.out(`  expires:  ${created.expiresAt ? formatDate(created.expiresAt) : "never"}`);
    io.out(`  database: ${describeDatabase(opened)}`);
    io.out("The key is shown only this once; store it now:");
    io.out(created.key);
    return 0;
  });
}

async function listCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    user: { type: "string" },
    team: { type: "string" },
    json: { type: "boolean" },
  });
  const filter = {
    user: values.user === undefined ? undefined : parseEmail(values.user),
    team: optionalText(values.team, "--team") ?? undefined,
  };
  return withDatabase(ctx, async ({ database }) => {
    const keys = await listKeys(database.db, filter);
    const now = ctx.clock.now();
    if (values.json) {
      printJson(
        ctx.io,
        keys.map((k) => ({ ...toJson(k), status: keyStatus(k, now) })),
      );
      return 0;
    }
    if (keys.length === 0) {
      ctx.io.out("No API keys.");
      return 0;
    }
    const rows = keys.map((k) => [k.id, k.prefix, k.user, k.team ?? "-", k.name ?? "-", formatDate(k.createdAt), formatDate(k.lastUsedAt), keyStatus(k, now)]);
    for (const line of table(["ID", "PREFIX", "USER", "TEAM", "NAME", "CREATED", "LAST USED", "STATUS"], rows)) {
      ctx.io.out(line);
    }
    return 0;
  });
}

async function revokeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean" } }, 1);
  const target = positionals[0];
  if (!target) throw new UsageError("keys revoke needs a key id or prefix (see `bedrock-gateway keys list`)");
  return withDatabase(ctx, async ({ database }) => {
    const revoked = await revokeKey(database.db, target, ctx.clock, ctx.actor);
    if (!revoked) {
      ctx.io.err(`bedrock-gateway: no key matches "${target}"`);
      return 1;
    }
    if (values.json) {
      printJson(ctx.io, { ...toJson(revoked), alreadyRevoked: revoked.alreadyRevoked, status: "revoked" });
    } else if (revoked.alreadyRevoked) {
      ctx.io.out(`Key ${revoked.id} (${revoked.prefix}, ${revoked.user}) was already revoked at ${formatDate(revoked.revokedAt)}.`);
    } else {
      ctx.io.out(`Revoked key ${revoked.id} (${revoked.prefix}, ${revoked.user}).`);
    }
    return 0;
  });
}

function toJson(k: ApiKeyRecord) {
  return {
    id: k.id,
    prefix: k.prefix,
    user: k.user,
    team: k.team,
    name: k.name,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
  };
}
