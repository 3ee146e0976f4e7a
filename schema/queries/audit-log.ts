/**
 * Reading the audit log of a department (newest first, keyset pages) and the retention purge. The
 * log itself is append-only: a trigger refuses updates and the deletion of entries younger than
 * 183 days (网络安全法 第二十一条).
 */
import { and, desc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { auditLog, users } from "../tables.ts";

export interface AuditFilter {
  /** Entries whose action starts with this, e.g. `user.` */
  actionPrefix?: string;
  /** The acting user's id; `null` for entries made by no user (the CLI, the system). */
  actorId?: string | null;
  /** Epoch ms, inclusive. */
  from?: number;
  to?: number;
  result?: "ok" | "denied" | "failed";
}

export interface AuditCursor {
  at: number;
  id: number;
}

export type AuditEntry = {
  id: number;
  createdAt: number;
  actorEmail: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  requestId: string | null;
  detail: Record<string, unknown> | null;
};

/**
 * One page of the department's entries, newest first, by keyset on (`createdAt`, `id`): it walks the
 * `audit_dept_created_idx` index, so a page costs the same at the start and deep into the log.
 */
export async function listAudit(
  db: Db,
  deptId: string,
  filter: AuditFilter,
  limit: number,
  cursor?: AuditCursor,
): Promise<AuditEntry[]> {
  const prefix = filter.actionPrefix;
  return db
    .select({
      id: auditLog.id,
      createdAt: auditLog.createdAt,
      actorEmail: users.email,
      action: auditLog.action,
      target: auditLog.target,
      result: auditLog.result,
      ip: auditLog.ip,
      requestId: auditLog.requestId,
      detail: auditLog.detail,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorId))
    .where(
      and(
        eq(auditLog.deptId, deptId),
        // substr, not LIKE: no wildcard in the prefix can widen the match.
        prefix ? sql`substr(${auditLog.action}, 1, ${[...prefix].length}) = ${prefix}` : undefined,
        filter.actorId === null
          ? sql`${auditLog.actorId} IS NULL`
          : filter.actorId !== undefined
            ? eq(auditLog.actorId, filter.actorId)
            : undefined,
        filter.from !== undefined ? gte(auditLog.createdAt, filter.from) : undefined,
        filter.to !== undefined ? lte(auditLog.createdAt, filter.to) : undefined,
        filter.result ? eq(auditLog.result, filter.result) : undefined,
        cursor
          ? or(
              lt(auditLog.createdAt, cursor.at),
              and(eq(auditLog.createdAt, cursor.at), lt(auditLog.id, cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit)
    .all();
}

/** Rows deleted per statement by the retention purge, and statements per run. */
export const PURGE_BATCH = 1000;
export const PURGE_MAX_BATCHES = 50;

/**
 * Deletes entries created before `cutoff`, in batches, using only the (dept_id, created_at) index:
 * a recursive CTE hops from one department id in the index to the next (a skip scan by hand, one
 * seek per department, orphaned ids included), and each department's old entries are one range of
 * that index; entries without a department are the `dept_id IS NULL` range. A run reads about what
 * it deletes plus one entry per department — never the whole log, and it does not depend on ids
 * following time. Returns the number of rows deleted.
 */
export async function purgeAuditBefore(db: Db, cutoff: number): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < PURGE_MAX_BATCHES; i++) {
    const result = await db.run(sql`
      WITH RECURSIVE depts(d) AS (
        SELECT (SELECT dept_id FROM audit_log WHERE dept_id IS NOT NULL ORDER BY dept_id LIMIT 1)
        UNION ALL
        SELECT (SELECT dept_id FROM audit_log WHERE dept_id > depts.d ORDER BY dept_id LIMIT 1)
        FROM depts WHERE depts.d IS NOT NULL
      )
      DELETE FROM audit_log WHERE id IN (
        SELECT a.id FROM depts CROSS JOIN audit_log AS a ON a.dept_id = depts.d AND a.created_at < ${cutoff}
        UNION ALL
        SELECT n.id FROM audit_log AS n WHERE n.dept_id IS NULL AND n.created_at < ${cutoff}
        LIMIT ${PURGE_BATCH}
      )`);
    const changes = result.meta.changes ?? 0;
    deleted += changes;
    if (changes < PURGE_BATCH) break;
  }
  return deleted;
}
