-- Full-text search of the inbox. The trigram tokenizer matches Chinese substrings of three or more
-- characters (unicode61 does not segment Chinese); shorter queries fall back to a bounded LIKE.
CREATE VIRTUAL TABLE `cases_fts` USING fts5(subject, body, reply_text, content='cases', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
-- Index the cases that exist already (a database upgraded to this migration).
INSERT INTO cases_fts(cases_fts) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `cases_fts_ai` AFTER INSERT ON `cases` BEGIN
  INSERT INTO cases_fts(rowid, subject, body, reply_text) VALUES (new.rowid, new.subject, new.body, coalesce(new.reply_text, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `cases_fts_ad` AFTER DELETE ON `cases` BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, subject, body, reply_text) VALUES ('delete', old.rowid, old.subject, old.body, coalesce(old.reply_text, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `cases_fts_au` AFTER UPDATE OF subject, body, reply_text ON `cases` BEGIN
  INSERT INTO cases_fts(cases_fts, rowid, subject, body, reply_text) VALUES ('delete', old.rowid, old.subject, old.body, coalesce(old.reply_text, ''));
  INSERT INTO cases_fts(rowid, subject, body, reply_text) VALUES (new.rowid, new.subject, new.body, coalesce(new.reply_text, ''));
END;
--> statement-breakpoint
-- The audit log is append-only (网络安全法 第二十一条: logs kept at least six months): no updates,
-- and no deletion of entries younger than 183 days, whoever asks.
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log` BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_keep_six_months` BEFORE DELETE ON `audit_log`
WHEN old.created_at > (unixepoch() - 183 * 86400) * 1000 BEGIN
  SELECT RAISE(ABORT, 'audit entries are kept at least 183 days');
END;
--> statement-breakpoint
-- A case's timeline is append-only too: it is the record the citizen and the auditors see.
CREATE TRIGGER `case_events_no_update` BEFORE UPDATE ON `case_events` BEGIN
  SELECT RAISE(ABORT, 'case_events is append-only');
END;
