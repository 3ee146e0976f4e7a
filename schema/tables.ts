/**
 * Huiyin's tables (drizzle, SQLite dialect for D1). Every tenant-owned row carries `deptId`.
 * Timestamps are epoch milliseconds (UTC); calendar days (due dates) are Beijing dates `YYYY-MM-DD`.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;

export const departments = sqliteTable(
  "departments",
  {
    id: text().primaryKey(),
    slug: text().notNull(),
    name: text().notNull(),
    /** Sub-units (科室 / 直属单位) point at their parent department. */
    parentId: text(),
    /** JSON array of origins allowed to frame the widgets, e.g. ["https://www.example.gov.cn"]. */
    allowedOrigins: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** JSON: reply norms (working days) and other per-department settings. */
    settings: text({ mode: "json" }).$type<DepartmentSettings>().notNull().default(sql`'{}'`),
    createdAt: integer().notNull().default(now),
  },
  (t) => [uniqueIndex("departments_slug_uq").on(t.slug), index("departments_parent_idx").on(t.parentId)],
);

export interface DepartmentSettings {
  /** Working days to reply to an opinion (default 10). */
  replyDays?: number;
  /** Working days to fix a reported website error (纠错, default 3). */
  correctionDays?: number;
  /** Where notifications go (delivered by the scheduled worker's outbox). */
  channels?: NotificationChannel[];
}

export interface NotificationChannel {
  type: "webhook" | "wecom" | "dingtalk" | "feishu" | "email";
  /** A URL for webhooks and group robots, an address for e-mail. */
  target: string;
  /** Standard Webhooks signing secret (webhook) or the robot's signing secret (DingTalk, Feishu). */
  secret?: string;
}

export const users = sqliteTable(
  "users",
  {
    id: text().primaryKey(),
    email: text().notNull(),
    name: text().notNull().default(""),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
    passwordHash: text().notNull(),
    systemAdmin: integer({ mode: "boolean" }).notNull().default(false),
    /** Set for a one-time password (new user, reset by an admin): the next sign-in must change it. */
    mustChangePassword: integer({ mode: "boolean" }).notNull().default(false),
    failedLogins: integer().notNull().default(0),
    lockedUntil: integer(),
    /** Users are disabled, never deleted: the audit log keeps pointing at them. */
    disabledAt: integer(),
    createdAt: integer().notNull().default(now),
  },
  (t) => [uniqueIndex("users_email_uq").on(t.email)],
);

export const ROLES = ["admin", "handler", "appraiser", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const memberships = sqliteTable(
  "memberships",
  {
    userId: text().notNull(),
    deptId: text().notNull(),
    role: text().$type<Role>().notNull(),
    createdAt: integer().notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deptId] }), index("memberships_dept_idx").on(t.deptId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text().primaryKey(),
    userId: text().notNull(),
    /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
    tokenHash: text().notNull(),
    name: text().notNull().default(""),
    expiresAt: integer(),
    revokedAt: integer(),
    lastUsedAt: integer(),
    createdAt: integer().notNull().default(now),
  },
  (t) => [uniqueIndex("api_tokens_hash_uq").on(t.tokenHash), index("api_tokens_user_idx").on(t.userId)],
);

export const forms = sqliteTable(
  "forms",
  {
    id: text().primaryKey(),
    deptId: text().notNull(),
    slug: text().notNull(),
    kind: text().$type<"opinion" | "survey" | "disclosure">().notNull(),
    version: integer().notNull().default(1),
    /** The form definition (forms/language.ts), validated before it is stored. */
    definition: text({ mode: "json" }).notNull(),
    /** "active" takes submissions; "coming_soon" shows a notice; "closed" takes none. */
    status: text().$type<"active" | "coming_soon" | "closed">().notNull().default("active"),
    createdAt: integer().notNull().default(now),
  },
  (t) => [uniqueIndex("forms_dept_slug_uq").on(t.deptId, t.slug)],
);

/**
 * The shared spine of everything a citizen raises: opinions now, disclosure requests and
 * rectification items later. Each kind adds its own states and clock rules.
 */
export const cases = sqliteTable(
  "cases",
  {
    id: text().primaryKey(),
    deptId: text().notNull(),
    formId: text().notNull(),
    kind: text().$type<"opinion" | "disclosure">().notNull(),
    trackingCode: text().notNull(),
    state: text().notNull(),
    /** Opinion kind (咨询, 建议, …) or the disclosure request's type. */
    category: text().notNull().default(""),
    subject: text().notNull().default(""),
    body: text().notNull().default(""),
    /** Non-personal answers as submitted (JSON). */
    answers: text({ mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Personal data (name, contact): AES-GCM ciphertext, never stored in clear. */
    personalEnc: text(),
    consentPublish: integer({ mode: "boolean" }).notNull().default(false),
    published: integer({ mode: "boolean" }).notNull().default(false),
    assigneeId: text(),
    /** Beijing calendar day by which the department must answer. */
    dueDate: text().notNull(),
    replyText: text(),
    repliedAt: integer(),
    closedAt: integer(),
    publishedAt: integer(),
    lang: text().notNull().default("zh-CN"),
    /** Random per write: the guard of optimistic concurrency between staff changes. */
    rev: text().notNull().default(""),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("cases_tracking_uq").on(t.trackingCode),
    // Keyset pagination of the inbox: (dept, created desc, id).
    index("cases_dept_created_idx").on(t.deptId, t.createdAt, t.id),
    index("cases_dept_state_created_idx").on(t.deptId, t.state, t.createdAt, t.id),
    index("cases_dept_kind_created_idx").on(t.deptId, t.kind, t.createdAt, t.id),
    index("cases_dept_due_idx").on(t.deptId, t.dueDate),
    // The same without the department, for a system admin's inbox (every department): without
    // them that list read and sorted the whole table (BENCHMARKS.md §4). Staff of several
    // departments use the per-department indexes above, one UNION ALL branch each.
    index("cases_created_idx").on(t.createdAt, t.id),
    index("cases_state_created_idx").on(t.state, t.createdAt, t.id),
    index("cases_kind_created_idx").on(t.kind, t.createdAt, t.id),
    // The echo wall: published cases of a department, newest first. Partial: a new case is never
    // published, so a submission does not write this index (BENCHMARKS.md §3).
    index("cases_dept_published_idx").on(t.deptId, t.publishedAt, t.id).where(sql`published = 1`),
  ],
);

/** Append-only timeline of a case. `public` events are shown to the citizen on the tracking page. */
export const caseEvents = sqliteTable(
  "case_events",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    caseId: text().notNull(),
    deptId: text().notNull(),
    type: text().notNull(),
    actorId: text(),
    data: text({ mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    public: integer({ mode: "boolean" }).notNull().default(false),
    createdAt: integer().notNull(),
  },
  (t) => [index("case_events_case_idx").on(t.caseId, t.id)],
);

/**
 * Idempotency records for public submissions (draft-ietf-httpapi-idempotency-key-header).
 * A submission writes its record `done`, with the case it made, in the same batch (one transaction)
 * as the case itself (schema/queries/cases.ts `storeSubmission`). `in_flight` rows are claims left
 * by the two-step protocol before migration 0004; they are still honoured (409, then taken over).
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    formId: text().notNull(),
    key: text().notNull(),
    requestHash: text().notNull(),
    status: text().$type<"in_flight" | "done">().notNull(),
    responseStatus: integer(),
    responseBody: text(),
    /** The case this key stored (the guard of the submission batch's conditional inserts). */
    caseId: text(),
    createdAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.formId, t.key] }), index("idempotency_created_idx").on(t.createdAt)],
);

/** Append-only audit log of staff actions (网络安全法 第二十一条: kept at least six months). */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    deptId: text(),
    actorId: text(),
    action: text().notNull(),
    target: text(),
    result: text().notNull(),
    ip: text(),
    requestId: text(),
    detail: text({ mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer().notNull(),
  },
  (t) => [index("audit_dept_created_idx").on(t.deptId, t.createdAt)],
);

/** Proof-of-work solutions already spent: a solved challenge buys one submission, not many. */
export const spentChallenges = sqliteTable(
  "spent_challenges",
  {
    signature: text().primaryKey(),
    expiresAt: integer().notNull(),
  },
  (t) => [index("spent_challenges_expires_idx").on(t.expiresAt)],
);

/**
 * How far the full-text index (`cases_fts`, migration 0006) has caught up with `cases`: every case
 * with `rowid <= upto` is indexed, newer ones are not yet. A submission does not index its case
 * (that was a quarter of its database work, BENCHMARKS.md §3); a search and the scheduled worker
 * index the new cases in one batch first (schema/queries/search-index.ts). One row, id 1.
 */
export const searchIndexState = sqliteTable("search_index_state", {
  id: integer().primaryKey(),
  upto: integer().notNull(),
});

/**
 * Indexed cases whose subject, body or reply changed since (the update trigger of migration 0006
 * queues them): the next catch-up indexes them again from their current text.
 */
export const searchReindex = sqliteTable("search_reindex", {
  caseRowid: integer().primaryKey(),
});

/** Leases that keep two runs of the same scheduled job from overlapping. */
export const jobLeases = sqliteTable("job_leases", {
  job: text().primaryKey(),
  holder: text().notNull(),
  expiresAt: integer().notNull(),
});

/** Staff sign-in sessions. The cookie holds a random id; only its SHA-256 is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    idHash: text().primaryKey(),
    userId: text().notNull(),
    /** The department the user is working in now (one of their memberships). */
    deptId: text(),
    csrfToken: text().notNull(),
    createdAt: integer().notNull(),
    lastSeenAt: integer().notNull(),
    /** Absolute end (12 hours after sign-in), whatever the activity. */
    expiresAt: integer().notNull(),
    ip: text(),
    userAgent: text(),
    revokedAt: integer(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Reusable reply texts of a department. */
export const replyTemplates = sqliteTable(
  "reply_templates",
  {
    id: text().primaryKey(),
    deptId: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    createdBy: text(),
    createdAt: integer().notNull(),
  },
  (t) => [index("reply_templates_dept_idx").on(t.deptId)],
);
