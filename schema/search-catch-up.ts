/**
 * The statements that bring the full-text index (`cases_fts`) up to date with `cases` (migration
 * 0005): index the cases newer than `search_index_state.upto`, at most ?1 rowids past it, then move
 * `upto` past them. Run them in one transaction (a D1 batch) so that no case can arrive between the
 * two, and again while `upto` is below the newest case: no statement grows with the backlog (D1 stops
 * a query after 30 s). Plain SQL with no imports, so the bench's seeders (Node) use the same
 * statements as the Worker.
 */
export const SEARCH_CATCH_UP_SQL = [
  `INSERT INTO cases_fts(rowid, subject, body, reply_text)
    SELECT rowid, subject, body, coalesce(reply_text, '') FROM cases
    WHERE rowid > (SELECT upto FROM search_index_state WHERE id = 1)
      AND rowid <= (SELECT upto FROM search_index_state WHERE id = 1) + ?1`,
  `UPDATE search_index_state
    SET upto = min(upto + ?1, (SELECT coalesce(max(rowid), 0) FROM cases)) WHERE id = 1
    RETURNING upto, (SELECT coalesce(max(rowid), 0) FROM cases) AS newest`,
] as const;

/** Rowids per batch: about a second of trigram indexing for typical letters. */
export const SEARCH_CATCH_UP_BATCH = 5000;
