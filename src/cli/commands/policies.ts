import { listPolicies, setPolicy, type PolicyLevel } from "../../db/policies";
import { type FlagSpec, parseFlags, pickSubcommand } from "../args";
import { printJson, withDatabase, type CliContext } from "../context";
import { UsageError, cell, spentOf, table } from "../format";
import { POLICY_FLAGS, policyPatch } from "../policy-flags";
import { changesJson, policyListingJson, policyRecordJson } from "../shapes";
import { describeChanges, describePolicy } from "./describe";
import { parseEmail, requiredText } from "../values";

const SET_FLAGS = { ...POLICY_FLAGS, json: "boolean" } satisfies FlagSpec;

/** `users set|list` and `teams set|list`. */
export async function policyCommand(level: PolicyLevel, args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  const command = `${level}s`;
  return pickSubcommand(command, sub === "ls" ? "list" : sub, ["set", "list"] as const) === "set"
    ? setCommand(level, rest, ctx)
    : listCommand(level, rest, ctx);
}

async function setCommand(level: PolicyLevel, args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, SET_FLAGS, 1);
  if (positionals[0] === undefined) throw new UsageError(level === "user" ? "users set needs an EMAIL" : "teams set needs a TEAM name");
  const name = level === "user" ? parseEmail(positionals[0], "EMAIL") : requiredText(positionals[0], "TEAM");
  const patch = policyPatch(values);
  return withDatabase(ctx, async ({ database }) => {
    const { record, created, changes } = await setPolicy(database.db, level, name, patch, ctx.clock, ctx.actor);
    if (values.json) {
      printJson(ctx.io, { ...policyRecordJson(level, record), created, changes: changesJson(changes) });
      return 0;
    }
    const what = `${level} ${name}`;
    if (created) {
      ctx.io.out(`Added ${what}:`);
      for (const line of describePolicy(record)) ctx.io.out(`  ${line}`);
    } else if (Object.keys(changes).length === 0) {
      ctx.io.out(`Nothing to change: ${what} already has these settings.`);
    } else {
      ctx.io.out(`Updated ${what}:`);
      for (const line of describeChanges(changes)) ctx.io.out(`  ${line}`);
    }
    return 0;
  });
}

async function listCommand(level: PolicyLevel, args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags(args, { json: "boolean" });
  return withDatabase(ctx, async ({ database }) => {
    const rows = await listPolicies(database.db, level, ctx.clock);
    if (values.json) {
      printJson(
        ctx.io,
        rows.map((r) => policyListingJson(level, r)),
      );
      return 0;
    }
    if (rows.length === 0) {
      ctx.io.out(level === "user" ? "No users (add one with `bedrock-gateway users set EMAIL`)." : "No teams (add one with `bedrock-gateway teams set TEAM`).");
      return 0;
    }
    const cells = rows.map((r) => [
      r.name,
      cell(r.allowedModels?.join(",")),
      cell(r.rpmLimit),
      cell(r.tpmLimit),
      spentOf(r.spentTodayMicros, r.budgetDailyMicros),
      spentOf(r.spentMonthMicros, r.budgetMonthlyMicros),
    ]);
    const headers = [level === "user" ? "USER" : "TEAM", "MODELS", "RPM", "TPM", "TODAY USD", "MONTH USD"];
    for (const line of table(headers, cells, [false, false, true, true, true, true])) ctx.io.out(line);
    return 0;
  });
}
