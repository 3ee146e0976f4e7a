import { drizzle } from "drizzle-orm/d1";
import * as tables from "./tables.ts";

const clients = new WeakMap<D1Database, ReturnType<typeof build>>();

function build(d1: D1Database) {
  return drizzle(d1, { schema: tables, casing: "snake_case" });
}

/**
 * The one place that turns a D1 binding into a drizzle client. Keeping D1 at this edge lets the
 * same queries run on another SQLite engine (libSQL) for in-country hosting later.
 * The client is made once per binding object and isolate: building it walks every table's
 * relational config, CPU that a request should not pay again (BENCHMARKS.md §3, §5).
 */
export function createDb(d1: D1Database) {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}

export type Db = ReturnType<typeof build>;
