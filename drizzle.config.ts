import { defineConfig } from "drizzle-kit";

// `npm run db:generate -- --name <change>` writes a new SQL migration into migrations/.
// Generation needs no database; the CLI and the gateway apply migrations (src/db/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
