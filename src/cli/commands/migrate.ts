import { seedModels } from "../../db/models";
import { notifyChange } from "../../db/notify";
import { defaultModelRows } from "../../models/catalogue";
import { parseFlags } from "../args";
import { describeDatabase, withDatabase, type CliContext } from "../context";

/** Applies pending migrations and adds the default model catalogue (rows an admin changed are kept; MODELS entries win). */
export async function migrateCommand(args: string[], ctx: CliContext): Promise<number> {
  parseFlags(args, {});
  return withDatabase(
    ctx,
    async (opened) => {
      const n = opened.migrationsApplied;
      const { db } = opened.database;
      const models = opened.config.MODELS;
      const seeded = await seedModels(
        db,
        defaultModelRows(models),
        models.map((m) => m.id),
      );
      // Running gateways reload their catalogue when a seed added or replaced rows.
      if (seeded > 0) await notifyChange(db, { kind: "models" });
      ctx.io.out(`Database: ${describeDatabase(opened)}`);
      ctx.io.out(n === 0 ? "Schema is up to date." : `Applied ${n} migration${n === 1 ? "" : "s"}.`);
      ctx.io.out(seeded === 0 ? "Model catalogue is up to date." : `Model catalogue: wrote ${seeded} model${seeded === 1 ? "" : "s"}.`);
      return 0;
    },
    { migrate: true },
  );
}
