import { defineConfig } from "drizzle-kit";

// One migrations path: drizzle-kit writes here, `wrangler d1 migrations apply` and the tests read here.
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/tables.ts",
  out: "./schema/migrations",
  casing: "snake_case",
});
