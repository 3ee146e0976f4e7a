/** SQL for bootstrapping a deployment: departments with the built-in forms, users, tokens. */
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { disclosurePlaceholder, satisfactionPlaceholder } from "../../forms/builtin/placeholders.ts";
import type { FormDefinition } from "../../forms/language.ts";
import { lit } from "./d1.ts";

export const ROLES = ["admin", "handler", "appraiser", "viewer"] as const;

export function departmentSql(id: string, slug: string, name: string, origins: string[]): string {
  return `INSERT INTO departments (id, slug, name, allowed_origins, settings) VALUES (${lit(id)}, ${lit(slug)}, ${lit(name)}, ${lit(JSON.stringify(origins))}, '{}') ON CONFLICT(slug) DO NOTHING;`;
}

function formSql(deptSlug: string, def: FormDefinition, status: string): string {
  return `INSERT INTO forms (id, dept_id, slug, kind, version, definition, status)
SELECT ${lit(crypto.randomUUID())}, id, ${lit(def.slug)}, ${lit(def.kind)}, ${def.version}, ${lit(JSON.stringify(def))}, ${lit(status)}
FROM departments WHERE slug = ${lit(deptSlug)}
ON CONFLICT(dept_id, slug) DO UPDATE SET definition = excluded.definition, version = excluded.version, status = excluded.status;`;
}

/** The three built-in forms with their fixed slugs; the two later widgets start as "coming soon". */
export function builtinFormsSql(deptSlug: string): string {
  return [
    formSql(deptSlug, opinionBox(deptSlug), "active"),
    formSql(deptSlug, satisfactionPlaceholder(deptSlug), "coming_soon"),
    formSql(deptSlug, disclosurePlaceholder(deptSlug), "coming_soon"),
  ].join("\n");
}
