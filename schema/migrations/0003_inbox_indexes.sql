-- A system admin's inbox (every department) as an index range: newest first, by state, by kind.
-- Staff of several departments use the per-department indexes, one UNION ALL branch each.
CREATE INDEX `cases_created_idx` ON `cases` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_state_created_idx` ON `cases` (`state`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_kind_created_idx` ON `cases` (`kind`,`created_at`,`id`);