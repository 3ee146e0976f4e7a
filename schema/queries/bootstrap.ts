/**
 * Creating departments, users and tokens: shared by the demo seed, the admin CLI (which prints the
 * SQL these statements make and runs it through wrangler) and the tests.
 */
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { disclosurePlaceholder, satisfactionPlaceholder } from "../../forms/builtin/placeholders.ts";
import type { Db } from "../db.ts";
import { apiTokens, type DepartmentSettings, departments, memberships, type Role, users } from "../tables.ts";
import { upsertForm } from "./forms.ts";

export async function createDepartment(
  db: Db,
  input: {
    slug: string;
    name: string;
    allowedOrigins?: string[];
    settings?: DepartmentSettings;
    parentId?: string;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(departments).values({
    id,
    slug: input.slug,
    name: input.name,
    allowedOrigins: input.allowedOrigins ?? [],
    settings: input.settings ?? {},
    parentId: input.parentId ?? null,
  });
  return id;
}

/** The three built-in forms with their fixed slugs; the two later widgets start as "coming soon". */
export async function installBuiltinForms(db: Db, deptId: string, deptSlug: string): Promise<void> {
  await upsertForm(db, deptId, opinionBox(deptSlug), "active");
  await upsertForm(db, deptId, satisfactionPlaceholder(deptSlug), "coming_soon");
  await upsertForm(db, deptId, disclosurePlaceholder(deptSlug), "coming_soon");
}

export async function createUser(
  db: Db,
  input: { email: string; passwordHash: string; name?: string; systemAdmin?: boolean },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(users).values({
    id,
    email: input.email.toLowerCase(),
    name: input.name ?? "",
    passwordHash: input.passwordHash,
    systemAdmin: input.systemAdmin ?? false,
  });
  return id;
}

export async function grantRole(db: Db, userId: string, deptId: string, role: Role): Promise<void> {
  await db
    .insert(memberships)
    .values({ userId, deptId, role })
    .onConflictDoUpdate({
      target: [memberships.userId, memberships.deptId],
      set: { role },
    });
}

export async function storeApiToken(
  db: Db,
  input: { userId: string; tokenHash: string; name?: string; expiresAt?: number | null },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(apiTokens).values({
    id,
    userId: input.userId,
    tokenHash: input.tokenHash,
    name: input.name ?? "",
    expiresAt: input.expiresAt ?? null,
  });
  return id;
}
