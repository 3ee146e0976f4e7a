/** A department's reply templates (套用答复模板 on the case page). Always by (department, id). */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { replyTemplates } from "../tables.ts";

export type TemplateRow = typeof replyTemplates.$inferSelect;

export async function listTemplates(db: Db, deptId: string, limit = 500): Promise<TemplateRow[]> {
  return db
    .select()
    .from(replyTemplates)
    .where(eq(replyTemplates.deptId, deptId))
    .orderBy(asc(replyTemplates.title), asc(replyTemplates.id))
    .limit(limit)
    .all();
}

export async function findTemplate(db: Db, deptId: string, id: string): Promise<TemplateRow | null> {
  return (
    (await db
      .select()
      .from(replyTemplates)
      .where(and(eq(replyTemplates.deptId, deptId), eq(replyTemplates.id, id)))
      .get()) ?? null
  );
}

export async function createTemplate(
  db: Db,
  input: { deptId: string; title: string; body: string; createdBy: string | null; now: number },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(replyTemplates).values({
    id,
    deptId: input.deptId,
    title: input.title,
    body: input.body,
    createdBy: input.createdBy,
    createdAt: input.now,
  });
  return id;
}

/** Updates a template of the department; false when it has no such template. */
export async function updateTemplate(
  db: Db,
  deptId: string,
  id: string,
  patch: { title: string; body: string },
): Promise<boolean> {
  const rows = await db
    .update(replyTemplates)
    .set(patch)
    .where(and(eq(replyTemplates.deptId, deptId), eq(replyTemplates.id, id)))
    .returning({ id: replyTemplates.id });
  return rows.length > 0;
}

export async function deleteTemplate(db: Db, deptId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(replyTemplates)
    .where(and(eq(replyTemplates.deptId, deptId), eq(replyTemplates.id, id)))
    .returning({ id: replyTemplates.id });
  return rows.length > 0;
}
