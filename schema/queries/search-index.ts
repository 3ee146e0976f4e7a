/**
 * The full-text index of the inbox (`cases_fts`, trigram) catches up with `cases` in batches instead
 * of in every submission's transaction: a search first indexes the cases newer than
 * `search_index_state.upto`, and so does the scheduled worker every ten minutes, so a search always
 * sees every case and seldom has more than a few to index. Rowids only grow (cases are not deleted
 * in normal work; the delete trigger of migration 0005 keeps `upto` honest when one is).
 */
import type { Db } from "../db.ts";
import { SEARCH_CATCH_UP_BATCH, SEARCH_CATCH_UP_SQL } from "../search-catch-up.ts";

/** Indexes the cases that arrived since the last catch-up, `batch` rowids per D1 batch. */
export async function catchUpSearchIndex(db: Db, batch = SEARCH_CATCH_UP_BATCH): Promise<void> {
  const d1 = db.$client;
  for (;;) {
    const [, moved] = await d1.batch<{ upto: number; newest: number }>(
      SEARCH_CATCH_UP_SQL.map((q) => d1.prepare(q).bind(batch)),
    );
    const state = moved?.results[0];
    if (!state || state.upto >= state.newest) return;
  }
}
