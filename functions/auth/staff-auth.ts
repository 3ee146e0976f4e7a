/**
 * Staff authentication for the API: `Authorization: Bearer <token>`. Tokens are stored as their
 * SHA-256; the principal carries the departments and roles the caller has.
 */
import { createMiddleware } from "hono/factory";
import type { Scope } from "../../schema/queries/cases.ts";
import { principalForToken, type StaffPrincipal } from "../../schema/queries/staff.ts";
import type { Role } from "../../schema/tables.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";

export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+([A-Za-z0-9_-]{16,128})$/.exec(header);
  const principal = match ? await principalForToken(c.get("db"), match[1]!) : null;
  if (!principal) {
    throw new AppError("unauthorized", "请先登录或提供有效的访问令牌", "A valid bearer token is required", {
      headers: { "WWW-Authenticate": 'Bearer realm="huiyin"' },
    });
  }
  c.set("staff", principal);
  await next();
  c.header("Cache-Control", "no-store");
});

/** What the principal may read. */
export function readScope(p: StaffPrincipal): Scope {
  return p.systemAdmin ? { all: true } : { all: false, deptIds: [...p.roles.keys()] };
}

const WRITE_ROLES: Role[] = ["admin", "handler"];

/** Whether the principal may change cases of this department. */
export function canHandle(p: StaffPrincipal, deptId: string): boolean {
  if (p.systemAdmin) return true;
  const role = p.roles.get(deptId);
  return role !== undefined && WRITE_ROLES.includes(role);
}
