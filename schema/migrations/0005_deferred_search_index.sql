CREATE TABLE `search_index_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`upto` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `cases_dept_published_idx`;--> statement-breakpoint
CREATE INDEX `cases_dept_published_idx` ON `cases` (`dept_id`,`published_at`,`id`) WHERE published = 1;--> statement-breakpoint
-- A submission no longer indexes its case for full-text search in its own transaction (the trigram
-- index was a quarter of its database work, BENCHMARKS.md §3). search_index_state.upto says how far
-- cases_fts has caught up; a search and the scheduled worker index the newer cases first
-- (schema/queries/search-index.ts). Every case that exists now was indexed by the old trigger.
INSERT INTO `search_index_state` (`id`, `upto`) SELECT 1, coalesce(max(rowid), 0) FROM `cases`;
--> statement-breakpoint
DROP TRIGGER `cases_fts_ai`;
--> statement-breakpoint
DROP TRIGGER `cases_fts_au`;
--> statement-breakpoint
DROP TRIGGER `cases_fts_ad`;
--> statement-breakpoint
-- Only an indexed case has entries to replace; a newer one is indexed with its current text later.
-- (An FTS5 'delete' of text that was never indexed would corrupt the index.)
CREATE TRIGGER `cases_fts_au` AFTER UPDATE OF subject, body, reply_text ON `cases`
WHEN old.rowid <= (SELECT upto FROM search_index_state WHERE id = 1) BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, subject, body, reply_text) VALUES ('delete', old.rowid, old.subject, old.body, coalesce(old.reply_text, ''));
  INSERT INTO cases_fts(rowid, subject, body, reply_text) VALUES (new.rowid, new.subject, new.body, coalesce(new.reply_text, ''));
END;
--> statement-breakpoint
-- The same for deletions; and `upto` never stays above the largest rowid left, so that a case that
-- reuses the rowid of a deleted newest case is still seen as not yet indexed.
CREATE TRIGGER `cases_fts_ad` AFTER DELETE ON `cases` BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, subject, body, reply_text)
    SELECT 'delete', old.rowid, old.subject, old.body, coalesce(old.reply_text, '')
    WHERE old.rowid <= (SELECT upto FROM search_index_state WHERE id = 1);
  UPDATE search_index_state SET upto = (SELECT coalesce(max(rowid), 0) FROM cases)
    WHERE id = 1 AND upto > (SELECT coalesce(max(rowid), 0) FROM cases);
END;
