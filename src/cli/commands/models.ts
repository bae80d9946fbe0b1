import { aliasOfName, listModelRows, setModel, setModelEnabled } from "../../db/models";
import { formatMicros } from "../../usage/cost";
import { parseFlags, pickSubcommand } from "../args";
import { printJson, withDatabase, type CliContext } from "../context";
import { UsageError, cell, table } from "../format";
import { changesJson, modelJson } from "../shapes";
import { MODEL_SET_FLAGS, modelChangeFromFlags } from "../model-flags";
import { describeChanges, describePrice, describeTarget } from "./describe";

export { modelChangeFromFlags, parseTarget, parseTargetPrice } from "../model-flags";

const SUBCOMMANDS = ["list", "set", "enable", "disable"] as const;

export async function modelsCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (pickSubcommand("models", sub === "ls" ? "list" : sub, SUBCOMMANDS)) {
    case "list":
      return listCommand(rest, ctx);
    case "set":
      return setCommand(rest, ctx);
    case "enable":
      return enableCommand(rest, ctx, true);
    case "disable":
      return enableCommand(rest, ctx, false);
  }
}

async function listCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags(args, { json: "boolean" });
  return withDatabase(ctx, async ({ database }) => {
    const rows = await listModelRows(database.db);
    if (values.json) {
      printJson(ctx.io, rows.map(modelJson));
      return 0;
    }
    if (rows.length === 0) {
      ctx.io.out("No models (`bedrock-gateway migrate` adds the default catalogue).");
      return 0;
    }
    const usd = (v: number | undefined) => (v === undefined ? "-" : formatMicros(v));
    const cells = rows.map((m) => [
      m.alias,
      cell(m.aliases.join(",")),
      m.targets.map(describeTarget).join(","),
      m.price ? usd(m.price.input) : "unknown",
      m.price ? usd(m.price.output) : "-",
      usd(m.price?.cacheRead),
      usd(m.price?.cacheWrite),
      m.enabled ? "yes" : "no",
      cell(m.source),
    ]);
    const headers = ["ALIAS", "OTHER NAMES", "TARGETS", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "ENABLED", "SOURCE"];
    for (const line of table(headers, cells, [false, false, false, true, true, true, true])) ctx.io.out(line);
    ctx.io.out("Prices: USD per million tokens. A target's own price, where it differs, is in `models list --json`.");
    return 0;
  });
}

async function setCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, MODEL_SET_FLAGS, 1);
  if (positionals[0] === undefined) throw new UsageError("models set needs an ALIAS (the name clients send as `model`)");
  const change = modelChangeFromFlags(positionals[0].trim(), values);
  return withDatabase(ctx, async ({ database }) => {
    const { record, created, changes } = await setModel(database.db, change, ctx.clock, ctx.actor);
    if (values.json) {
      printJson(ctx.io, { ...modelJson(record), created, changes: changesJson(changes) });
      return 0;
    }
    if (created) {
      ctx.io.out(`Added model ${record.alias}:`);
      ctx.io.out(`  targets:     ${record.targets.map(describeTarget).join(", ")}`);
      ctx.io.out(`  price:       ${describePrice(record.price)} (USD per million tokens)`);
      ctx.io.out(`  other names: ${record.aliases.join(", ") || "-"}`);
    } else if (Object.keys(changes).length === 0) {
      ctx.io.out(`Nothing to change: model ${record.alias} already has these settings.`);
    } else {
      ctx.io.out(`Updated model ${record.alias}:`);
      for (const line of describeChanges(changes)) ctx.io.out(`  ${line}`);
    }
    return 0;
  });
}

async function enableCommand(args: string[], ctx: CliContext, enabled: boolean): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: "boolean" }, 1);
  const verb = enabled ? "enable" : "disable";
  const alias = positionals[0]?.trim();
  if (!alias) throw new UsageError(`models ${verb} needs an ALIAS (see \`bedrock-gateway models list\`)`);
  return withDatabase(ctx, async ({ database }) => {
    const result = await setModelEnabled(database.db, alias, enabled, ctx.clock, ctx.actor);
    if (!result) {
      const owner = await aliasOfName(database.db, alias);
      ctx.io.err(`bedrock-gateway: no model has the alias "${alias}"${owner ? ` (it is another name of ${owner}: \`models ${verb} ${owner}\`)` : ""}`);
      return 1;
    }
    if (values.json) printJson(ctx.io, modelJson(result.record));
    else ctx.io.out(result.changed ? `Model ${alias} is now ${verb}d.` : `Model ${alias} was already ${verb}d.`);
    return 0;
  });
}
