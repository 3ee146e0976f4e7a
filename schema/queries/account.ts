/** A signed-in user's own things: profile, personal API tokens and live sessions. Always by user id. */
import { and, asc, desc, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db.ts";
import { apiTokens, departments, memberships, type Role, sessions, users } from "../tables.ts";

export async function profileOf(db: Db, userId: string) {
  const user = await db
    .select({ id: users.id, email: users.email, name: users.name, systemAdmin: users.systemAdmin })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (!user) return null;
  const roles = await db
    .select({
      deptId: departments.id,
      deptName: departments.name,
      slug: departments.slug,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(departments, eq(departments.id, memberships.deptId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(departments.name))
    .all();
  return { ...user, roles: roles as { deptId: string; deptName: string; slug: string; role: Role }[] };
}

export type TokenRow = Pick<
  typeof apiTokens.$inferSelect,
  "id" | "name" | "createdAt" | "expiresAt" | "lastUsedAt" | "revokedAt"
>;

export async function listTokens(db: Db, userId: string, limit = 200): Promise<TokenRow[]> {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt), asc(apiTokens.id))
    .limit(limit)
    .all();
}

/** Stores a new token (its SHA-256 only); returns its id. */
export async function insertToken(
  db: Db,
  input: { userId: string; tokenHash: string; name: string; expiresAt: number; now: number },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(apiTokens).values({
    id,
    userId: input.userId,
    tokenHash: input.tokenHash,
    name: input.name,
    expiresAt: input.expiresAt,
    createdAt: input.now,
  });
  return id;
}

/** Revokes one of the user's own tokens; null when they have no such live token. */
export async function revokeToken(db: Db, userId: string, id: string, now: number) {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.userId, userId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name });
  return row ?? null;
}

/** The user's sessions that can still be used (not revoked, not past their absolute end), newest first. */
export async function liveSessions(db: Db, userId: string, now: number, idleMs: number) {
  return db
    .select({
      idHash: sessions.idHash,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gt(sessions.lastSeenAt, now - idleMs),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt))
    .limit(100)
    .all();
}
