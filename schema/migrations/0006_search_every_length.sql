CREATE TABLE `search_reindex` (
	`case_rowid` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
-- The inbox's full-text index finds strings of every length, one and two characters included (most
-- Chinese words staff search for are two characters). It stores each text with a separator around
-- every character (schema/search-catch-up.ts, written by the catch-up in the Worker: SQL cannot
-- separate characters), so it is contentless: it keeps no copy of the texts, and a deletion needs only
-- the rowid (contentless_delete, SQLite 3.43).
DROP TRIGGER `cases_fts_au`;
--> statement-breakpoint
DROP TRIGGER `cases_fts_ad`;
--> statement-breakpoint
DROP TABLE `cases_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `cases_fts` USING fts5(subject, body, reply_text, content='', contentless_delete=1, tokenize='trigram');
--> statement-breakpoint
-- Every case is indexed again by the catch-up (a search, and the scheduled worker every ten minutes).
UPDATE `search_index_state` SET `upto` = 0 WHERE `id` = 1;
--> statement-breakpoint
-- An indexed case whose text changes is queued; the catch-up indexes its new text (and replaces the old).
CREATE TRIGGER `cases_fts_au` AFTER UPDATE OF subject, body, reply_text ON `cases`
WHEN old.rowid <= (SELECT upto FROM search_index_state WHERE id = 1) BEGIN
  INSERT OR IGNORE INTO search_reindex(case_rowid) VALUES (new.rowid);
END;
--> statement-breakpoint
-- A case that goes takes its entries with it; `upto` never stays above the largest rowid left, so
-- that a case that reuses the rowid of a deleted newest case is still seen as not yet indexed.
CREATE TRIGGER `cases_fts_ad` AFTER DELETE ON `cases` BEGIN
  DELETE FROM cases_fts WHERE rowid = old.rowid;
  DELETE FROM search_reindex WHERE case_rowid = old.rowid;
  UPDATE search_index_state SET upto = (SELECT coalesce(max(rowid), 0) FROM cases)
    WHERE id = 1 AND upto > (SELECT coalesce(max(rowid), 0) FROM cases);
END;
