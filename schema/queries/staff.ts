import { and, eq, gt, isNull, or } from "drizzle-orm";
import { sha256Hex } from "../../functions/lib/crypto.ts";
import type { Db } from "../db.ts";
import { apiTokens, memberships, type Role, users } from "../tables.ts";

/** Who is acting, and where: the departments a staff user may see and the role in each. */
export interface StaffPrincipal {
  userId: string;
  email: string;
  systemAdmin: boolean;
  roles: Map<string, Role>;
}

export async function principalFor(db: Db, userId: string): Promise<StaffPrincipal | null> {
  const user = await db.select().from(users).where(eq(users.id, userId)).get();
  if (!user || user.disabledAt) return null;
  const rows = await db.select().from(memberships).where(eq(memberships.userId, userId)).all();
  return {
    userId: user.id,
    email: user.email,
    systemAdmin: user.systemAdmin,
    roles: new Map(rows.map((m) => [m.deptId, m.role])),
  };
}

/** How stale `api_tokens.last_used_at` may get: it is written at most once per this interval. */
export const TOKEN_LAST_USED_GRAIN_MS = 60_000;

/**
 * Resolves a bearer token (stored as its SHA-256) to a principal; expired or revoked tokens fail.
 * `last_used_at` is written at most once a minute (as sessions do with `last_seen_at`), so that a
 * read such as an inbox page does not cost a write.
 */
export async function principalForToken(
  db: Db,
  token: string,
  now = Date.now(),
): Promise<StaffPrincipal | null> {
  const hash = await sha256Hex(token);
  const row = await db
    .select({ id: apiTokens.id, userId: apiTokens.userId, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tokenHash, hash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
      ),
    )
    .get();
  if (!row) return null;
  if (row.lastUsedAt === null || now - row.lastUsedAt >= TOKEN_LAST_USED_GRAIN_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return principalFor(db, row.userId);
}

export async function findUserByEmail(db: Db, email: string) {
  return db.select().from(users).where(eq(users.email, email.toLowerCase())).get() ?? null;
}
