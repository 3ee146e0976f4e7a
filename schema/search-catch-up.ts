/**
 * The statements that bring the full-text index (`cases_fts`) up to date with `cases` (migration
 * 0005): index every case newer than `search_index_state.upto`, then move `upto`. Run them in one
 * transaction (a D1 batch) so that no case can arrive between the two. Plain SQL with no imports, so
 * the bench's seeders (Node) use the same statements as the Worker.
 */
export const SEARCH_CATCH_UP_SQL = [
  `INSERT INTO cases_fts(rowid, subject, body, reply_text)
    SELECT rowid, subject, body, coalesce(reply_text, '') FROM cases
    WHERE rowid > (SELECT upto FROM search_index_state WHERE id = 1)`,
  `UPDATE search_index_state SET upto = (SELECT coalesce(max(rowid), 0) FROM cases) WHERE id = 1`,
] as const;
