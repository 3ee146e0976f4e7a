/**
 * Staff sign-in: passwords (PBKDF2-SHA256, 100,000 iterations — the most Workers' WebCrypto
 * allows — with a per-user salt), lockout with back-off, and server-side sessions behind an
 * HttpOnly, Secure, SameSite=Lax cookie with a 30-minute idle timeout and a 12-hour absolute one.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../schema/db.ts";
import { principalFor, type StaffPrincipal } from "../../schema/queries/staff.ts";
import { sessions, users } from "../../schema/tables.ts";
import { hashPassword, randomSecret, sha256Hex, verifyPassword } from "../lib/crypto.ts";

export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3_600_000;
/** Failures allowed before the account locks; each further failure doubles the lock, up to an hour. */
export const FREE_FAILURES = 4;
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 3_600_000;
export const MIN_PASSWORD_LENGTH = 10;

/** `__Host-` binds the cookie to this origin, Secure and Path=/. */
export const SESSION_COOKIE = "__Host-hy_session";
/** The session cookie's attributes: HttpOnly, Secure, SameSite=Lax, the whole site, 12 hours at most. */
export const SESSION_COOKIE_OPTIONS = {
  httpOnly: true,
  secure: true,
  sameSite: "Lax",
  path: "/",
  maxAge: ABSOLUTE_TIMEOUT_MS / 1000,
} as const;

export function lockFor(failures: number): number {
  if (failures <= FREE_FAILURES) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** (failures - FREE_FAILURES - 1), MAX_LOCK_MS);
}

// Verifying against this when the e-mail is unknown keeps the response time the same (no user enumeration).
let dummyHash: Promise<string> | undefined;

export type SignIn =
  | { ok: true; userId: string; mustChangePassword: boolean }
  | { ok: false; reason: "invalid" | "locked"; lockedUntil?: number };

export async function checkPassword(db: Db, email: string, password: string, now: number): Promise<SignIn> {
  const user = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).get();
  if (!user || user.disabledAt) {
    dummyHash ??= hashPassword("not a password");
    await verifyPassword(password, await dummyHash);
    return { ok: false, reason: "invalid" };
  }
  if (user.lockedUntil && user.lockedUntil > now)
    return { ok: false, reason: "locked", lockedUntil: user.lockedUntil };
  if (!(await verifyPassword(password, user.passwordHash))) {
    const failures = user.failedLogins + 1;
    const lock = lockFor(failures);
    await db
      .update(users)
      .set({ failedLogins: failures, lockedUntil: lock ? now + lock : null })
      .where(eq(users.id, user.id));
    return lock ? { ok: false, reason: "locked", lockedUntil: now + lock } : { ok: false, reason: "invalid" };
  }
  await db.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, user.id));
  return { ok: true, userId: user.id, mustChangePassword: user.mustChangePassword };
}

export interface SessionInfo {
  idHash: string;
  csrfToken: string;
  deptId: string | null;
  principal: StaffPrincipal;
  mustChangePassword: boolean;
}

/** Starts a session; returns the cookie value (shown to the browser only). */
export async function createSession(
  db: Db,
  userId: string,
  deptId: string | null,
  meta: { ip: string | null; userAgent: string | null },
  now: number,
): Promise<string> {
  const token = randomSecret(32);
  await db.insert(sessions).values({
    idHash: await sha256Hex(token),
    userId,
    deptId,
    csrfToken: randomSecret(24),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + ABSOLUTE_TIMEOUT_MS,
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
  });
  return token;
}

/** Resolves a cookie to a live session, or null when it is unknown, revoked, idle or expired. */
export async function loadSession(db: Db, token: string, now: number): Promise<SessionInfo | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const idHash = await sha256Hex(token);
  const row = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.idHash, idHash), isNull(sessions.revokedAt)))
    .get();
  if (!row || row.expiresAt <= now || row.lastSeenAt + IDLE_TIMEOUT_MS <= now) return null;
  const principal = await principalFor(db, row.userId);
  if (!principal) return null;
  // Write the activity at most once a minute: the idle timeout needs no finer grain.
  if (now - row.lastSeenAt > 60_000) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash));
  }
  const user = await db
    .select({ m: users.mustChangePassword })
    .from(users)
    .where(eq(users.id, row.userId))
    .get();
  const deptId =
    row.deptId && (principal.systemAdmin || principal.roles.has(row.deptId))
      ? row.deptId
      : firstDept(principal);
  return { idHash, csrfToken: row.csrfToken, deptId, principal, mustChangePassword: user?.m ?? false };
}

export function firstDept(p: StaffPrincipal): string | null {
  return [...p.roles.keys()][0] ?? null;
}

export async function revokeSession(db: Db, idHash: string, now: number): Promise<void> {
  await db.update(sessions).set({ revokedAt: now }).where(eq(sessions.idHash, idHash));
}

/** Ends every session of a user (password change or reset, disabling the account). */
export async function revokeUserSessions(db: Db, userId: string, now: number): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}

export async function switchDept(db: Db, idHash: string, deptId: string): Promise<void> {
  await db.update(sessions).set({ deptId }).where(eq(sessions.idHash, idHash));
}

export function passwordProblem(pw: string, email: string): [string, string] | null {
  if ([...pw].length < MIN_PASSWORD_LENGTH) {
    return [`密码至少 ${MIN_PASSWORD_LENGTH} 个字符`, `At least ${MIN_PASSWORD_LENGTH} characters`];
  }
  if (pw.toLowerCase().includes(email.split("@")[0]!.toLowerCase())) {
    return ["密码不能包含邮箱用户名", "The password must not contain your e-mail name"];
  }
  return null;
}

export async function setPassword(
  db: Db,
  userId: string,
  password: string,
  mustChange: boolean,
): Promise<void> {
  await db
    .update(users)
    .set({
      passwordHash: await hashPassword(password),
      mustChangePassword: mustChange,
      failedLogins: 0,
      lockedUntil: null,
    })
    .where(eq(users.id, userId));
}
