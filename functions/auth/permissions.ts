/**
 * Who may do what, in one table. Roles are per department (admin, handler, appraiser, viewer);
 * a system admin may do everything everywhere. Handlers call `can` / `scopeFor`; nothing else
 * decides access.
 */
import type { Scope } from "../../schema/queries/cases.ts";
import type { StaffPrincipal } from "../../schema/queries/staff.ts";
import type { Role } from "../../schema/tables.ts";

export const ACTIONS = {
  /** Read cases (the inbox, a case, its timeline); personal data only masked. */
  "cases.read": ["admin", "handler", "viewer"],
  /** Assign, reply, publish, close. */
  "cases.handle": ["admin", "handler"],
  /** Show a case's personal data in clear (audited, with a reason). */
  "cases.reveal": ["admin", "handler"],
  "templates.manage": ["admin", "handler"],
  "forms.read": ["admin", "handler", "appraiser", "viewer"],
  /** Statistics and exports of appraisal campaigns. */
  "stats.read": ["admin", "appraiser"],
  "users.manage": ["admin"],
  "settings.manage": ["admin"],
  "audit.read": ["admin"],
  /** Create a top-level department: system admins only (no department role grants it). */
  "departments.create": [],
  /**
   * Reset the password of, disable or enable a user who is a system admin or also has a role in
   * another department: system admins only, or one department's admin could take over another's.
   */
  "users.manage_shared": [],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof ACTIONS;

export function can(p: StaffPrincipal, deptId: string, action: Action): boolean {
  if (p.systemAdmin) return true;
  const role = p.roles.get(deptId);
  return role !== undefined && (ACTIONS[action] as readonly Role[]).includes(role);
}

/** The departments in which the principal may do `action`, as a query scope. */
export function scopeFor(p: StaffPrincipal, action: Action): Scope {
  if (p.systemAdmin) return { all: true };
  return {
    all: false,
    deptIds: [...p.roles]
      .filter(([, role]) => (ACTIONS[action] as readonly Role[]).includes(role))
      .map(([d]) => d),
  };
}
