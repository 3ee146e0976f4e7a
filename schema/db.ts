import { drizzle } from "drizzle-orm/d1";
import * as tables from "./tables.ts";

/**
 * The one place that turns a D1 binding into a drizzle client. Keeping D1 at this edge lets the
 * same queries run on another SQLite engine (libSQL) for in-country hosting later.
 */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema: tables, casing: "snake_case" });
}

export type Db = ReturnType<typeof createDb>;
