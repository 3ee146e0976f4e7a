import { and, asc, eq } from "drizzle-orm";
import { type FormDefinition, parseFormDefinition } from "../../forms/language.ts";
import type { Db } from "../db.ts";
import { type DepartmentSettings, departments, forms } from "../tables.ts";

export interface LoadedForm {
  id: string;
  deptId: string;
  deptSlug: string;
  deptName: string;
  allowedOrigins: string[];
  deptSettings: DepartmentSettings;
  status: "active" | "coming_soon" | "closed";
  definition: FormDefinition;
}

/** A department's form by the two public slugs, or null. One query (join). */
export async function findForm(db: Db, deptSlug: string, formSlug: string): Promise<LoadedForm | null> {
  const row = await db
    .select({
      id: forms.id,
      deptId: forms.deptId,
      status: forms.status,
      definition: forms.definition,
      deptSlug: departments.slug,
      deptName: departments.name,
      allowedOrigins: departments.allowedOrigins,
      deptSettings: departments.settings,
    })
    .from(forms)
    .innerJoin(departments, eq(departments.id, forms.deptId))
    .where(and(eq(departments.slug, deptSlug), eq(forms.slug, formSlug)))
    .get();
  if (!row) return null;
  return { ...row, definition: row.definition as FormDefinition };
}

/**
 * Forms as loaded by the public routes, kept per isolate for FORM_CACHE_MS: the widget page and
 * every submission need the form and its department, and a D1 round trip for data that changes a
 * few times a year is the largest avoidable cost of a submission (BENCHMARKS.md §3). Writes in this
 * isolate clear it at once; other isolates see a change within FORM_CACHE_MS.
 */
export const FORM_CACHE_MS = 30_000;
const FORM_CACHE_MAX = 500;
const formCache = new Map<string, { at: number; form: LoadedForm }>();

export async function findFormCached(
  db: Db,
  deptSlug: string,
  formSlug: string,
  now = Date.now(),
): Promise<LoadedForm | null> {
  const key = `${deptSlug}/${formSlug}`;
  const hit = formCache.get(key);
  if (hit && now - hit.at < FORM_CACHE_MS) return hit.form;
  const form = await findForm(db, deptSlug, formSlug);
  if (form) {
    if (formCache.size >= FORM_CACHE_MAX) formCache.delete(formCache.keys().next().value!);
    formCache.set(key, { at: now, form });
  } else formCache.delete(key);
  return form;
}

/** Called by every write to forms or departments. */
export function forgetCachedForms(): void {
  formCache.clear();
}

/** Stores a form after validating its definition (an invalid definition is refused). */
export async function upsertForm(
  db: Db,
  deptId: string,
  definition: unknown,
  status: LoadedForm["status"] = "active",
): Promise<string> {
  const def = parseFormDefinition(definition);
  const existing = await db
    .select({ id: forms.id })
    .from(forms)
    .where(and(eq(forms.deptId, deptId), eq(forms.slug, def.slug)))
    .get();
  if (existing) {
    await db
      .update(forms)
      .set({ definition: def, version: def.version, status })
      .where(eq(forms.id, existing.id));
    forgetCachedForms();
    return existing.id;
  }
  const id = crypto.randomUUID();
  await db
    .insert(forms)
    .values({ id, deptId, slug: def.slug, kind: def.kind, version: def.version, definition: def, status });
  return id;
}

export async function findDepartmentBySlug(db: Db, slug: string) {
  return db.select().from(departments).where(eq(departments.slug, slug)).get() ?? null;
}

/** A department and its forms (for the staff page with embed codes and posters), oldest first. */
export async function listDeptForms(db: Db, deptId: string) {
  const dept = await db.select().from(departments).where(eq(departments.id, deptId)).get();
  if (!dept) return null;
  const rows = await db
    .select({
      id: forms.id,
      slug: forms.slug,
      kind: forms.kind,
      status: forms.status,
      definition: forms.definition,
    })
    .from(forms)
    .where(eq(forms.deptId, deptId))
    .orderBy(asc(forms.createdAt), asc(forms.slug))
    .all();
  return { dept, forms: rows.map((r) => ({ ...r, definition: r.definition as FormDefinition })) };
}
