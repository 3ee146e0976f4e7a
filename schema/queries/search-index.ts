/**
 * The full-text index of the inbox (`cases_fts`) catches up with `cases` in batches instead of in
 * every submission's transaction: a search first indexes the cases newer than
 * `search_index_state.upto` and those whose text changed since (`search_reindex`), and so does the
 * scheduled worker every ten minutes, so a search sees every case and seldom has more than a few to
 * index. The texts are separated here (schema/search-catch-up.ts), which SQL cannot do.
 */
import type { Db } from "../db.ts";
import {
  SEARCH_MOVE_SQL,
  SEARCH_READ_BATCH,
  SEARCH_READ_SQL,
  SEARCH_WRITE_SQL,
  searchWriteChunks,
  type UnindexedCase,
} from "../search-catch-up.ts";

export interface CatchUp {
  /** Cases indexed by this call. */
  indexed: number;
  /** Cases still waiting (about: rowids past `upto` plus queued changes) when `maxCases` was reached. */
  pending: number;
}

/**
 * Indexes what the index lacks, `batch` cases per read, until nothing is left or `maxCases` have been
 * indexed. Safe to run concurrently with itself and with staff changes: a case is indexed only from
 * the version it was read at, and entries are replaced, never added twice.
 */
export async function catchUpSearchIndex(
  db: Db,
  opts: { batch?: number; maxCases?: number } = {},
): Promise<CatchUp> {
  const d1 = db.$client;
  const batch = opts.batch ?? SEARCH_READ_BATCH;
  const maxCases = opts.maxCases ?? Number.POSITIVE_INFINITY;
  let indexed = 0;
  for (;;) {
    const [state, fresh, changed] = await d1.batch<Record<string, unknown>>([
      d1.prepare(SEARCH_READ_SQL[0]),
      d1.prepare(SEARCH_READ_SQL[1]).bind(batch),
      d1.prepare(SEARCH_READ_SQL[2]).bind(batch),
    ]);
    const s = state?.results[0] as { upto: number; newest: number; queued: number } | undefined;
    const newRows = (fresh?.results ?? []) as unknown as UnindexedCase[];
    const changedRows = (changed?.results ?? []) as unknown as UnindexedCase[];
    if (!s || (newRows.length === 0 && changedRows.length === 0)) return { indexed, pending: 0 };
    const chunks = searchWriteChunks([...newRows, ...changedRows]);
    const last = newRows.at(-1)?.r;
    for (const [i, json] of chunks.entries()) {
      const statements = SEARCH_WRITE_SQL.map((q) => d1.prepare(q).bind(json));
      if (i === chunks.length - 1 && last !== undefined)
        statements.push(d1.prepare(SEARCH_MOVE_SQL).bind(last));
      await d1.batch(statements);
    }
    indexed += newRows.length + changedRows.length;
    const more = newRows.length === batch || changedRows.length === batch;
    if (!more) return { indexed, pending: 0 };
    if (indexed >= maxCases) {
      const left = Math.max(0, s.newest - (last ?? s.upto)) + Math.max(0, s.queued - changedRows.length);
      return { indexed, pending: left };
    }
  }
}
