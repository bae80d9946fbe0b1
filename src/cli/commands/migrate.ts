import { describeDatabase, parseCommandArgs, withDatabase, type CliContext } from "../context";

export async function migrateCommand(args: string[], ctx: CliContext): Promise<number> {
  parseCommandArgs(args, {});
  return withDatabase(ctx, async (opened) => {
    const n = opened.migrationsApplied;
    ctx.io.out(`Database: ${describeDatabase(opened)}`);
    ctx.io.out(n === 0 ? "Schema is up to date." : `Applied ${n} migration${n === 1 ? "" : "s"}.`);
    return 0;
  });
}
