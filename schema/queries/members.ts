/**
 * The members of a department (users with a role there) and the changes an admin makes to them.
 * Every lookup is by (department, user): a row of another department is never found. The
 * "a department keeps at least one enabled admin" rule is part of the UPDATE/DELETE statements
 * themselves, so two admins demoting each other at once cannot both succeed.
 */
import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { memberships, type Role, sessions, users } from "../tables.ts";

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  systemAdmin: boolean;
  mustChangePassword: boolean;
  disabledAt: number | null;
  /** When the user last signed in (their newest session), if ever. */
  lastSignInAt: number | null;
  /** How many other departments the user has a role in. */
  otherDepts: number;
}

// Outer columns named in full: inside a subquery an unqualified name would bind to the inner table.
const M_DEPT = sql.raw(`"memberships"."dept_id"`);
const M_USER = sql.raw(`"memberships"."user_id"`);
const M_ROLE = sql.raw(`"memberships"."role"`);
const U_ID = sql.raw(`"users"."id"`);

/** Enabled admins of the department `deptColumn` names (a value or an SQL expression). */
const enabledAdminsOf = (deptColumn: unknown) => sql`(
  SELECT count(*) FROM ${memberships} AS m2 JOIN ${users} AS u2 ON u2.id = m2.user_id
  WHERE m2.dept_id = ${deptColumn} AND m2.role = 'admin' AND u2.disabled_at IS NULL
)`;

const memberColumns = (deptId: string) => ({
  userId: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
  systemAdmin: users.systemAdmin,
  mustChangePassword: users.mustChangePassword,
  disabledAt: users.disabledAt,
  // Correlated subqueries use the sessions and memberships indexes on user_id: no scan of either table.
  lastSignInAt: sql<
    number | null
  >`(SELECT max(s.created_at) FROM ${sessions} AS s WHERE s.user_id = ${U_ID})`,
  otherDepts: sql<number>`(SELECT count(*) FROM ${memberships} AS mo WHERE mo.user_id = ${U_ID} AND mo.dept_id <> ${deptId})`,
});

/** The change leaves an enabled admin: the row is no admin, or another enabled admin exists, or it is disabled. */
const KEEPS_AN_ADMIN = sql`(${M_ROLE} <> 'admin' OR ${enabledAdminsOf(M_DEPT)} > 1 OR EXISTS (SELECT 1 FROM ${users} AS ud WHERE ud.id = ${M_USER} AND ud.disabled_at IS NOT NULL))`;

/** The department's members by e-mail (at most `limit`). */
export async function listMembers(db: Db, deptId: string, limit = 1000): Promise<Member[]> {
  return db
    .select(memberColumns(deptId))
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.deptId, deptId))
    .orderBy(asc(users.email))
    .limit(limit)
    .all();
}

/** One member of the department, or null when the user has no role there. */
export async function findMember(db: Db, deptId: string, userId: string): Promise<Member | null> {
  return (
    (await db
      .select(memberColumns(deptId))
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.deptId, deptId), eq(memberships.userId, userId)))
      .get()) ?? null
  );
}

/** Creates an account with a (one-time) password hash and its first role, in one transaction. */
export async function createUserWithRole(
  db: Db,
  input: { email: string; name: string; passwordHash: string; deptId: string; role: Role },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.batch([
    db.insert(users).values({
      id,
      email: input.email.toLowerCase(),
      name: input.name,
      passwordHash: input.passwordHash,
      mustChangePassword: true,
    }),
    db.insert(memberships).values({ userId: id, deptId: input.deptId, role: input.role }),
  ]);
  return id;
}

/** Gives an existing user a role in the department; false when they already have one there. */
export async function addMembership(db: Db, userId: string, deptId: string, role: Role): Promise<boolean> {
  const rows = await db
    .insert(memberships)
    .values({ userId, deptId, role })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

/**
 * Changes a member's role. Refused (false) when it would leave the department without an enabled
 * admin, or when the user has no role there.
 */
export async function changeRole(db: Db, deptId: string, userId: string, role: Role): Promise<boolean> {
  const rows = await db
    .update(memberships)
    .set({ role })
    .where(
      and(
        eq(memberships.deptId, deptId),
        eq(memberships.userId, userId),
        role === "admin" ? undefined : KEEPS_AN_ADMIN,
      ),
    )
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

/** Removes a member from the department; refused (false) for the last enabled admin. */
export async function removeMembership(db: Db, deptId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(memberships)
    .where(and(eq(memberships.deptId, deptId), eq(memberships.userId, userId), KEEPS_AN_ADMIN))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

/**
 * Disables an account (it can no longer sign in, its sessions and tokens stop working). Refused
 * (false) when the user is already disabled or is the last enabled admin of any department.
 */
export async function disableUser(db: Db, userId: string, now: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ disabledAt: now })
    .where(
      and(
        eq(users.id, userId),
        isNull(users.disabledAt),
        sql`NOT EXISTS (SELECT 1 FROM ${memberships} AS md WHERE md.user_id = ${U_ID} AND md.role = 'admin' AND ${enabledAdminsOf(sql`md.dept_id`)} <= 1)`,
      ),
    )
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Enables a disabled account; false when it was not disabled. */
export async function enableUser(db: Db, userId: string): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ disabledAt: null, failedLogins: 0, lockedUntil: null })
    .where(and(eq(users.id, userId), isNotNull(users.disabledAt)))
    .returning({ id: users.id });
  return rows.length > 0;
}
