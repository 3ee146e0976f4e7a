import {
  type AnyColumn,
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { integer, sqliteTable, unionAll } from "drizzle-orm/sqlite-core";
import type { Db } from "../db.ts";
import { searchPhrase } from "../search-catch-up.ts";
import { caseEvents, cases, idempotencyKeys } from "../tables.ts";
import { catchUpSearchIndex } from "./search-index.ts";

export type CaseRow = typeof cases.$inferSelect;
export type NewCase = typeof cases.$inferInsert;
export type CaseEventRow = typeof caseEvents.$inferSelect;

/** Departments a caller may read: a list, or every department (system admin). */
export type Scope = { all: true } | { all: false; deptIds: string[] };

function inScope(scope: Scope): SQL | undefined {
  if (scope.all) return undefined;
  // An empty list must match nothing, never everything.
  return scope.deptIds.length ? inArray(cases.deptId, scope.deptIds) : sql`0`;
}

// ---------------------------------------------------------------------------------------------
// Idempotency (draft-ietf-httpapi-idempotency-key-header)

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** A claim older than this is from a request that died; a retry may take it over. */
export const STALE_CLAIM_MS = 30_000;

export async function findIdempotency(db: Db, formId: string, key: string): Promise<IdempotencyRow | null> {
  return (
    (await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.formId, formId), eq(idempotencyKeys.key, key)))
      .get()) ?? null
  );
}

export interface SubmissionWrite {
  /** The new case; `id` is fresh for every attempt and guards the batch's conditional inserts. */
  row: NewCase;
  firstEvent: { type: string; data: Record<string, unknown>; public: boolean };
  idem: { formId: string; key: string; requestHash: string; responseStatus: number; responseBody: string };
  spend?: { signature: string; expiresAt: number } | undefined;
  now: number;
}

/**
 * Whether this attempt stored the case; when it did not, the record the key already had (read in a
 * second call, paid only by duplicates).
 */
export type SubmissionResult = { stored: true } | { stored: false; record: IdempotencyRow | null };

/** True when the idempotency record (form_id ?1, key ?2) belongs to the case ?3, i.e. to this attempt. */
const OURS = "EXISTS (SELECT 1 FROM idempotency_keys WHERE form_id = ?1 AND key = ?2 AND case_id = ?3)";

const SQL_CLAIM = `INSERT INTO idempotency_keys
  (form_id, key, request_hash, status, response_status, response_body, case_id, created_at)
  VALUES (?1, ?2, ?3, 'done', ?4, ?5, ?6, ?7)
  ON CONFLICT (form_id, key) DO UPDATE SET status = 'done', response_status = excluded.response_status,
    response_body = excluded.response_body, case_id = excluded.case_id, created_at = excluded.created_at
  WHERE idempotency_keys.status = 'in_flight' AND idempotency_keys.request_hash = excluded.request_hash
    AND idempotency_keys.created_at < ?8
  RETURNING case_id`;
const SQL_SPEND = `INSERT INTO spent_challenges (signature, expires_at) SELECT ?4, ?5 WHERE ${OURS}`;
const SQL_CASE = `INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, category, subject, body,
    answers, personal_enc, consent_publish, due_date, lang, created_at, updated_at)
  SELECT ?3, ?4, ?1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17 WHERE ${OURS}`;
const SQL_EVENT = `INSERT INTO case_events (case_id, dept_id, type, actor_id, data, public, created_at)
  SELECT ?3, ?4, ?5, NULL, ?6, ?7, ?8 WHERE ${OURS}`;

/**
 * Stores a citizen's submission in one D1 call: one batch, one transaction. Its first statement
 * writes the idempotency record, already `done` with this attempt's case id and answer, unless the
 * key is taken (then it writes nothing and returns no row; a claim left in flight by a dead request
 * of the same body is taken over). Every other write is conditional on that record naming this
 * attempt's case, so a duplicate writes nothing at all. Either the case, its first event, the
 * record and the spent bot-check solution are all stored, or none is. A second use of a solution
 * fails the batch on spent_challenges' primary key (see `isSpentConflict`).
 *
 * Raw statements rather than drizzle's builder: this is the hottest write of the product, and the
 * conditional INSERT … SELECT … WHERE EXISTS has no builder form (BENCHMARKS.md §3).
 */
export async function storeSubmission(db: Db, w: SubmissionWrite): Promise<SubmissionResult> {
  const d1 = db.$client;
  const { row, idem } = w;
  const ours = [idem.formId, idem.key, row.id] as const;
  const claim = d1
    .prepare(SQL_CLAIM)
    .bind(
      idem.formId,
      idem.key,
      idem.requestHash,
      idem.responseStatus,
      idem.responseBody,
      row.id,
      w.now,
      w.now - STALE_CLAIM_MS,
    );
  const statements = [claim];
  if (w.spend) statements.push(d1.prepare(SQL_SPEND).bind(...ours, w.spend.signature, w.spend.expiresAt));
  statements.push(
    d1
      .prepare(SQL_CASE)
      .bind(
        ...ours,
        row.deptId,
        row.kind,
        row.trackingCode,
        row.state,
        row.category ?? "",
        row.subject ?? "",
        row.body ?? "",
        JSON.stringify(row.answers),
        row.personalEnc ?? null,
        row.consentPublish ? 1 : 0,
        row.dueDate,
        row.lang ?? "zh-CN",
        row.createdAt,
        row.updatedAt,
      ),
    d1
      .prepare(SQL_EVENT)
      .bind(
        ...ours,
        row.deptId,
        w.firstEvent.type,
        JSON.stringify(w.firstEvent.data),
        w.firstEvent.public ? 1 : 0,
        w.now,
      ),
  );
  const [claimed] = await d1.batch<{ case_id: string }>(statements);
  if (claimed?.results[0]?.case_id === row.id) return { stored: true };
  return { stored: false, record: await findIdempotency(db, idem.formId, idem.key) };
}

/** A new case drew a tracking code already taken (32^12 codes: with a million cases, 1 in 10^12). */
export function isTrackingCodeConflict(error: unknown): boolean {
  return /UNIQUE constraint failed: cases\.tracking_code/.test(String((error as Error)?.message ?? error));
}

// ---------------------------------------------------------------------------------------------
// Public reads: never select personal data columns.

const publicColumns = {
  id: cases.id,
  deptId: cases.deptId,
  kind: cases.kind,
  trackingCode: cases.trackingCode,
  state: cases.state,
  category: cases.category,
  dueDate: cases.dueDate,
  replyText: cases.replyText,
  repliedAt: cases.repliedAt,
  createdAt: cases.createdAt,
};

export async function findPublicCase(db: Db, trackingCode: string) {
  const row = await db.select(publicColumns).from(cases).where(eq(cases.trackingCode, trackingCode)).get();
  if (!row) return null;
  const timeline = await db
    .select({ type: caseEvents.type, at: caseEvents.createdAt })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), eq(caseEvents.public, true)))
    .orderBy(asc(caseEvents.id))
    .all();
  return { ...row, timeline };
}

/**
 * Rows after a keyset cursor in (`column` desc, `id` desc) order. The redundant `column <= at` is what
 * makes it an index range: SQLite cannot use the OR alone, and without the bound a deep page walked
 * the index from the newest row down to the cursor (225 ms at 1M cases; see BENCHMARKS.md).
 */
function keysetBefore(column: AnyColumn, cursor: { at: number; id: string }): SQL | undefined {
  return and(
    lte(column, cursor.at),
    or(lt(column, cursor.at), and(eq(column, cursor.at), lt(cases.id, cursor.id))),
  );
}

/** Published opinions of a department, newest first, by keyset (`publishedAt`, `id`). */
export async function listEchoWall(
  db: Db,
  deptId: string,
  limit: number,
  cursor?: { at: number; id: string },
) {
  const after = cursor ? keysetBefore(cases.publishedAt, cursor) : undefined;
  return (
    db
      .select({
        id: cases.id,
        category: cases.category,
        subject: cases.subject,
        body: cases.body,
        replyText: cases.replyText,
        createdAt: cases.createdAt,
        repliedAt: cases.repliedAt,
        publishedAt: cases.publishedAt,
      })
      .from(cases)
      // A literal 1, as in the partial index's WHERE, so that SQLite can use it.
      .where(and(eq(cases.deptId, deptId), sql`${cases.published} = 1`, after))
      .orderBy(desc(cases.publishedAt), desc(cases.id))
      .limit(limit)
      .all()
  );
}

// ---------------------------------------------------------------------------------------------
// Staff reads and writes, always within a scope.

export interface CaseFilter {
  kind?: string | undefined;
  state?: string | undefined;
  /** Inclusive bounds on the creation time (epoch ms). */
  from?: number | undefined;
  to?: number | undefined;
  assigneeId?: string | undefined;
  /** Only open cases whose due date is before this Beijing day (overdue) … */
  dueBefore?: string | undefined;
  /** … or on or before this day (due soon). */
  dueBy?: string | undefined;
  /** Only cases still waiting for an answer (received or assigned). */
  open?: boolean | undefined;
}

/** States in which a case still waits for the department's answer. */
export const OPEN_STATES = ["received", "assigned"];

/** A tracking code as staff may type it (spaces, dashes, lower case), or null. */
function trackingCodeIn(q: string): string | null {
  const code = q.trim().replace(/[\s-]/g, "").toUpperCase();
  return /^[2-9A-HJ-NP-Z]{12}$/.test(code) ? code : null;
}

/**
 * The contentless full-text index (migration 0006) as drizzle sees it: only its rowid (the case's
 * rowid) can be read. Not in tables.ts, so drizzle-kit never tries to create it.
 */
const casesFts = sqliteTable("cases_fts", { rowid: integer("rowid").notNull() });

/** The conditions of an inbox page other than the scope and the search: filters and the keyset cursor. */
function pageConditions(
  filter: CaseFilter,
  cursor: { at: number; id: string } | undefined,
): (SQL | undefined)[] {
  return [...filterConditions(filter), cursor ? keysetBefore(cases.createdAt, cursor) : undefined];
}

function filterConditions(filter: CaseFilter): (SQL | undefined)[] {
  return [
    filter.kind ? eq(cases.kind, filter.kind as CaseRow["kind"]) : undefined,
    filter.state ? eq(cases.state, filter.state) : undefined,
    filter.from !== undefined ? gte(cases.createdAt, filter.from) : undefined,
    filter.to !== undefined ? lte(cases.createdAt, filter.to) : undefined,
    filter.assigneeId ? eq(cases.assigneeId, filter.assigneeId) : undefined,
    filter.open ? inArray(cases.state, OPEN_STATES) : undefined,
    filter.dueBefore ? lt(cases.dueDate, filter.dueBefore) : undefined,
    filter.dueBy ? lte(cases.dueDate, filter.dueBy) : undefined,
  ];
}

/** The inbox order; a fresh SQL each time (drizzle rewrites the columns of a set operation's ORDER BY in place). */
const newestFirst = () => [desc(cases.createdAt), desc(cases.id)] as const;

/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_PARAMS = 100;
/**
 * D1 compiles a compound SELECT of at most five terms ("too many terms in compound SELECT" beyond:
 * workerd lowers SQLITE_LIMIT_COMPOUND_SELECT; local D1 enforces it too, schema/queries/cases.test.ts).
 */
export const D1_MAX_COMPOUND_TERMS = 5;

/**
 * One inbox page, newest first, by keyset on (`createdAt`, `id`): cost follows the page, not the
 * table, whatever the scope.
 *
 * - One department: `dept_id = ?` and the filters, a range of a (dept_id, …, created_at, id) index.
 * - A system admin (every department): no department condition; the (created_at, id),
 *   (state, …) and (kind, …) indexes give the order.
 * - Several departments: `dept_id IN (…)` cannot give the order (SQLite read every case of those
 *   departments and sorted them before returning the first). Instead one branch per department,
 *   `SELECT … WHERE dept_id = ? AND …` merged by `UNION ALL … ORDER BY created_at DESC, id DESC LIMIT n`.
 *   SQLite runs such a compound as a MERGE of co-routines: each branch walks its department's index
 *   in the order of the compound's ORDER BY, and the merge stops after n rows, so no branch reads
 *   more than n rows and nothing is sorted. (Wrapping each branch in a subquery with its own
 *   ORDER BY … LIMIT n would also work, but then SQLite sorts every branch's n rows again in a
 *   temporary b-tree before merging.)
 *
 *   D1 takes at most five terms in a compound SELECT and 100 bound parameters in a statement
 *   (every branch binds its own: 1 to 16). So a statement holds at most five departments; more
 *   departments become several such statements sent in one D1 batch (one round trip, one
 *   transaction), each returning its n newest, merged here: a scope of k departments reads at most
 *   ⌈k/5⌉·n rows.
 */
export async function listCases(
  db: Db,
  scope: Scope,
  filter: CaseFilter,
  limit: number,
  cursor?: { at: number; id: string },
): Promise<CaseRow[]> {
  const deptIds = scope.all ? [] : [...new Set(scope.deptIds)];
  if (scope.all || deptIds.length < 2) {
    return db
      .select()
      .from(cases)
      .where(and(scope.all ? undefined : inScope({ all: false, deptIds }), ...pageConditions(filter, cursor)))
      .orderBy(...newestFirst())
      .limit(limit)
      .all();
  }
  const branch = (deptId: string) =>
    db
      .select()
      .from(cases)
      .where(and(eq(cases.deptId, deptId), ...pageConditions(filter, cursor)));
  // Every branch has the same shape, so the first one tells how many parameters each binds; one more
  // is the LIMIT of the statement.
  const perBranch = branch(deptIds[0]!).toSQL().params.length;
  const perStatement = Math.max(
    1,
    Math.min(D1_MAX_COMPOUND_TERMS, Math.floor((D1_MAX_PARAMS - 1) / perBranch)),
  );
  const statements = [];
  for (let i = 0; i < deptIds.length; i += perStatement) {
    const [first, ...rest] = deptIds.slice(i, i + perStatement).map(branch);
    const merged = rest.length ? unionAll(first!, rest[0]!, ...rest.slice(1)) : first!;
    statements.push(merged.orderBy(...newestFirst()).limit(limit));
  }
  if (statements.length === 1) return statements[0]!.all();
  const [head, ...tail] = statements;
  const pages = await db.batch([head!, ...tail]);
  // Ids are ASCII (UUIDs), so JS string order is SQLite's BINARY order.
  return pages
    .flat()
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
}

/** A page of search results: newest arrival first, each with its place in that order for the next page. */
export interface SearchPage {
  rows: (CaseRow & { searchKey: number })[];
  /** Cases not yet in the index when the search ran (it indexes at most SEARCH_INDEX_PER_REQUEST first). */
  pending: number;
}

/** Cases a search indexes before it runs, at most: the scheduled worker takes a larger backlog. */
export const SEARCH_INDEX_PER_REQUEST = 2000;

/**
 * A search over subject, body and reply (exact substrings of any length, schema/search-catch-up.ts),
 * or a tracking code, within a scope and the filters; the newest arrivals first (rowid order: the
 * order in which cases were stored, which is their `createdAt` order but for cases stored within the
 * same few milliseconds).
 *
 * The query is driven by the index, newest rowid first: FTS5 walks the matches in descending rowid
 * order, each is joined to its case by rowid and checked against the scope and the filters, and the
 * walk stops at the page's end. A search therefore reads the page's matches (more when the scope or
 * the filters leave out many of them), never every match and never every case of the department;
 * a string found nowhere costs one look-up in the index. (Walking the department's date index and
 * testing each case against the set of all matches instead costs every match, 1 case in 8 of a
 * million for a common word, or every case of the department when the string is found nowhere:
 * BENCHMARKS.md §4.) `CROSS JOIN` keeps SQLite from putting `cases` in the outer loop.
 *
 * A tracking code finds its case alone, when it is in scope and passes the filters.
 */
export async function searchCases(
  db: Db,
  scope: Scope,
  q: string,
  filter: CaseFilter,
  limit: number,
  after?: number,
): Promise<SearchPage> {
  const code = trackingCodeIn(q);
  if (code && after === undefined) {
    const hit = await db
      .select()
      .from(cases)
      .where(and(eq(cases.trackingCode, code), inScope(scope), ...filterConditions(filter)))
      .get();
    if (hit) return { rows: [{ ...hit, searchKey: 0 }], pending: 0 };
  }
  const phrase = searchPhrase(q);
  if (!phrase) return { rows: [], pending: 0 };
  // Cases newer than the index (or changed since) are indexed first, so a search sees them. A next
  // page does not: cases that arrived since the first page are newer than its cursor anyway.
  const { pending } =
    after === undefined
      ? await catchUpSearchIndex(db, { maxCases: SEARCH_INDEX_PER_REQUEST })
      : { pending: 0 };
  const deptIds = scope.all ? [] : [...new Set(scope.deptIds)];
  const rows = await db
    .select({ ...getTableColumns(cases), searchKey: casesFts.rowid })
    .from(casesFts)
    .crossJoin(cases)
    .where(
      and(
        sql`${casesFts} MATCH ${phrase}`,
        eq(sql`${cases}.rowid`, casesFts.rowid),
        after !== undefined ? lt(casesFts.rowid, after) : undefined,
        scope.all
          ? undefined
          : deptIds.length === 1
            ? eq(cases.deptId, deptIds[0]!)
            : // One parameter whatever the number of departments (D1 binds at most 100).
              sql`${cases.deptId} IN (SELECT value FROM json_each(${JSON.stringify(deptIds)}))`,
        ...filterConditions(filter),
      ),
    )
    .orderBy(desc(casesFts.rowid))
    .limit(limit)
    .all();
  return { rows, pending };
}

export async function findCaseInScope(db: Db, scope: Scope, trackingCode: string): Promise<CaseRow | null> {
  return (
    (await db
      .select()
      .from(cases)
      .where(and(eq(cases.trackingCode, trackingCode), inScope(scope)))
      .get()) ?? null
  );
}

export async function caseTimeline(db: Db, caseId: string): Promise<CaseEventRow[]> {
  return db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.id)).all();
}

/**
 * Appends an event and applies its change to the case in one batch (one transaction). The update is
 * guarded by the case's `rev` as read (optimistic concurrency), and the event is inserted only if
 * that update took effect: if someone else changed the case meanwhile, nothing is written.
 */
export async function appendCaseEvent(
  db: Db,
  current: CaseRow,
  patch: Partial<NewCase>,
  event: {
    type: string;
    actorId: string | null;
    data: Record<string, unknown>;
    public: boolean;
    createdAt: number;
  },
): Promise<boolean> {
  const rev = crypto.randomUUID();
  const [updated] = await db.batch([
    db
      .update(cases)
      .set({ ...patch, rev, updatedAt: event.createdAt })
      .where(and(eq(cases.id, current.id), eq(cases.rev, current.rev)))
      .returning({ id: cases.id }),
    // INSERT … SELECT through the query builder: drizzle's D1 batch cannot bind the parameters of a
    // raw `db.run(sql…)` statement (it threw "Cannot read properties of undefined (reading 'bind')").
    db.insert(caseEvents).select(
      db
        .select({
          id: sql<number>`NULL`.as("id"),
          caseId: cases.id,
          deptId: cases.deptId,
          type: sql<string>`${event.type}`.as("type"),
          actorId: sql<string | null>`${event.actorId}`.as("actor_id"),
          data: sql<string>`${JSON.stringify(event.data)}`.as("data"),
          public: sql<number>`${event.public ? 1 : 0}`.as("public"),
          createdAt: sql<number>`${event.createdAt}`.as("created_at"),
        })
        .from(cases)
        .where(and(eq(cases.id, current.id), eq(cases.rev, rev))),
    ),
  ]);
  return updated.length > 0;
}

/** Counts for the dashboard: new, due soon (by `soon`), overdue (before `today`), within a scope. */
export async function dashboardCounts(db: Db, scope: Scope, today: string, soon: string) {
  const row = await db
    .select({
      fresh: sql<number>`sum(case when ${cases.state} = 'received' then 1 else 0 end)`,
      open: sql<number>`sum(case when ${cases.state} in ('received', 'assigned') then 1 else 0 end)`,
      dueSoon: sql<number>`sum(case when ${cases.state} in ('received', 'assigned') and ${cases.dueDate} >= ${today} and ${cases.dueDate} <= ${soon} then 1 else 0 end)`,
      overdue: sql<number>`sum(case when ${cases.state} in ('received', 'assigned') and ${cases.dueDate} < ${today} then 1 else 0 end)`,
    })
    .from(cases)
    .where(inScope(scope))
    .get();
  return {
    fresh: row?.fresh ?? 0,
    open: row?.open ?? 0,
    dueSoon: row?.dueSoon ?? 0,
    overdue: row?.overdue ?? 0,
  };
}
