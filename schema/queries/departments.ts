/**
 * A department's own settings and its sub-units. Settings are one JSON column; each change writes
 * only its own keys (`json_set`), so saving the reply norms never overwrites a channel someone else
 * just added.
 */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { departments, type NotificationChannel } from "../tables.ts";
import { forgetCachedForms } from "./forms.ts";

export type DepartmentRow = typeof departments.$inferSelect;

export async function getDepartment(db: Db, deptId: string): Promise<DepartmentRow | null> {
  return (await db.select().from(departments).where(eq(departments.id, deptId)).get()) ?? null;
}

export async function slugTaken(db: Db, slug: string): Promise<boolean> {
  return (
    (await db.select({ id: departments.id }).from(departments).where(eq(departments.slug, slug)).get()) !==
    undefined
  );
}

export async function renameDepartment(db: Db, deptId: string, name: string): Promise<void> {
  await db.update(departments).set({ name }).where(eq(departments.id, deptId));
  // After the write: a read in between must not cache the old row again.
  forgetCachedForms();
}

export async function setAllowedOrigins(db: Db, deptId: string, origins: string[]): Promise<void> {
  await db.update(departments).set({ allowedOrigins: origins }).where(eq(departments.id, deptId));
  // After the write: a read in between must not cache the old row again.
  forgetCachedForms();
}

export async function setReplyNorms(
  db: Db,
  deptId: string,
  norms: { replyDays: number; correctionDays: number },
): Promise<void> {
  await db
    .update(departments)
    .set({
      settings: sql`json_set(${departments.settings}, '$.replyDays', ${norms.replyDays}, '$.correctionDays', ${norms.correctionDays})`,
    })
    .where(eq(departments.id, deptId));
  // After the write: a read in between must not cache the old row again.
  forgetCachedForms();
}

/**
 * Replaces the notification channels if they are still `expected` (as read before the change):
 * optimistic concurrency, so two admins editing at once cannot silently drop each other's channel.
 * Returns false when someone changed them meanwhile.
 */
export async function replaceChannels(
  db: Db,
  deptId: string,
  expected: NotificationChannel[],
  next: NotificationChannel[],
): Promise<boolean> {
  const rows = await db
    .update(departments)
    .set({ settings: sql`json_set(${departments.settings}, '$.channels', json(${JSON.stringify(next)}))` })
    .where(
      sql`${departments.id} = ${deptId} AND coalesce(json_extract(${departments.settings}, '$.channels'), '[]') = json(${JSON.stringify(expected)})`,
    )
    .returning({ id: departments.id });
  return rows.length > 0;
}

export interface TreeNode {
  id: string;
  slug: string;
  name: string;
  parentId: string | null;
  depth: number;
}

/** Deepest sub-unit level listed (a guard: the tree is built by hand and never that deep). */
export const MAX_TREE_DEPTH = 8;

/**
 * The department and its sub-units, depth first (children by name), at most `limit` rows. The sort
 * key joins names with control characters that sort below any printable one: a parent comes right
 * before its children, and two sub-units of the same name keep their children apart.
 */
export async function departmentTree(db: Db, rootId: string, limit = 500): Promise<TreeNode[]> {
  const rows = await db.all<{
    id: string;
    slug: string;
    name: string;
    parent_id: string | null;
    depth: number;
  }>(sql`
    WITH RECURSIVE tree(id, slug, name, parent_id, depth, path) AS (
      SELECT id, slug, name, parent_id, 0, name || char(30) || id FROM departments WHERE id = ${rootId}
      UNION ALL
      SELECT d.id, d.slug, d.name, d.parent_id, t.depth + 1, t.path || char(31) || d.name || char(30) || d.id
      FROM departments AS d JOIN tree AS t ON d.parent_id = t.id
      WHERE t.depth < ${MAX_TREE_DEPTH}
    )
    SELECT id, slug, name, parent_id, depth FROM tree ORDER BY path LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, parentId: r.parent_id, depth: r.depth }));
}

/** The chain of parents above a department, top first (for the breadcrumb). */
export async function departmentAncestors(db: Db, deptId: string): Promise<{ id: string; name: string }[]> {
  const rows = await db.all<{ id: string; name: string; depth: number }>(sql`
    WITH RECURSIVE up(id, name, parent_id, depth) AS (
      SELECT p.id, p.name, p.parent_id, 1 FROM departments AS d JOIN departments AS p ON p.id = d.parent_id
      WHERE d.id = ${deptId}
      UNION ALL
      SELECT p.id, p.name, p.parent_id, u.depth + 1 FROM departments AS p JOIN up AS u ON p.id = u.parent_id
      WHERE u.depth < ${MAX_TREE_DEPTH}
    )
    SELECT id, name, depth FROM up ORDER BY depth DESC`);
  return rows.map((r) => ({ id: r.id, name: r.name }));
}
