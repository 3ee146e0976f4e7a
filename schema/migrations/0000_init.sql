CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_uq` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dept_id` text,
	`actor_id` text,
	`action` text NOT NULL,
	`target` text,
	`result` text NOT NULL,
	`ip` text,
	`request_id` text,
	`detail` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_dept_created_idx` ON `audit_log` (`dept_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `case_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` text NOT NULL,
	`dept_id` text NOT NULL,
	`type` text NOT NULL,
	`actor_id` text,
	`data` text DEFAULT '{}' NOT NULL,
	`public` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `case_events_case_idx` ON `case_events` (`case_id`,`id`);--> statement-breakpoint
CREATE TABLE `cases` (
	`id` text PRIMARY KEY NOT NULL,
	`dept_id` text NOT NULL,
	`form_id` text NOT NULL,
	`kind` text NOT NULL,
	`tracking_code` text NOT NULL,
	`state` text NOT NULL,
	`category` text DEFAULT '' NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`answers` text NOT NULL,
	`personal_enc` text,
	`consent_publish` integer DEFAULT false NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`assignee_id` text,
	`due_date` text NOT NULL,
	`reply_text` text,
	`replied_at` integer,
	`closed_at` integer,
	`published_at` integer,
	`lang` text DEFAULT 'zh-CN' NOT NULL,
	`rev` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cases_tracking_uq` ON `cases` (`tracking_code`);--> statement-breakpoint
CREATE INDEX `cases_dept_created_idx` ON `cases` (`dept_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_dept_state_created_idx` ON `cases` (`dept_id`,`state`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_dept_kind_created_idx` ON `cases` (`dept_id`,`kind`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_dept_due_idx` ON `cases` (`dept_id`,`due_date`);--> statement-breakpoint
CREATE INDEX `cases_dept_published_idx` ON `cases` (`dept_id`,`published`,`published_at`,`id`);--> statement-breakpoint
CREATE TABLE `departments` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`parent_id` text,
	`allowed_origins` text DEFAULT '[]' NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `departments_slug_uq` ON `departments` (`slug`);--> statement-breakpoint
CREATE INDEX `departments_parent_idx` ON `departments` (`parent_id`);--> statement-breakpoint
CREATE TABLE `forms` (
	`id` text PRIMARY KEY NOT NULL,
	`dept_id` text NOT NULL,
	`slug` text NOT NULL,
	`kind` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`definition` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `forms_dept_slug_uq` ON `forms` (`dept_id`,`slug`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`form_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`form_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_created_idx` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `job_leases` (
	`job` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `memberships` (
	`user_id` text NOT NULL,
	`dept_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`user_id`, `dept_id`)
);
--> statement-breakpoint
CREATE INDEX `memberships_dept_idx` ON `memberships` (`dept_id`);--> statement-breakpoint
CREATE TABLE `spent_challenges` (
	`signature` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `spent_challenges_expires_idx` ON `spent_challenges` (`expires_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`password_hash` text NOT NULL,
	`system_admin` integer DEFAULT false NOT NULL,
	`failed_logins` integer DEFAULT 0 NOT NULL,
	`locked_until` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);