/**
 * /admin/users: the members of the current department and what its admin may do to them — add a
 * user (a one-time password, shown once), change a role, reset a password, remove from the
 * department, disable or enable the account. A department always keeps an enabled admin; a user who
 * is also in another department (or a system admin) is reset, disabled or enabled by a system admin
 * only, or one department's admin could take over another department's account.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import * as v from "valibot";
import {
  addMembership,
  changeRole,
  createUserWithRole,
  disableUser,
  enableUser,
  findMember,
  listMembers,
  type Member,
  removeMembership,
} from "../../schema/queries/members.ts";
import { findUserByEmail } from "../../schema/queries/staff.ts";
import { ROLES, type Role } from "../../schema/tables.ts";
import { can } from "../auth/permissions.ts";
import { revokeUserSessions, setPassword } from "../auth/sessions.ts";
import { audit } from "../lib/audit.ts";
import { hashPassword, randomSecret } from "../lib/crypto.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { beijingTime } from "../widget/labels.ts";
import { allowedDept, emailField, isUuid, line, msg, parseForm, UNKNOWN_FIELD } from "./admin-form.ts";
import { adminPage, Csrf } from "./admin-layout.tsx";
import { formFields } from "./admin-session.ts";

export const userPages = new Hono<AppEnv>();

export const ROLE_LABEL: Record<Role, string> = {
  admin: "管理员",
  handler: "办理人员",
  appraiser: "评议人员",
  viewer: "只读人员",
};

const ROLE_HELP: Record<Role, string> = {
  admin: "管理本部门的用户、设置、模板和审计日志，并可办理来信",
  handler: "办理来信（分派、答复、发布、办结），管理答复模板",
  appraiser: "民主评议的统计与导出",
  viewer: "只读查看来信（个人信息已遮挡）",
};

const LABELS: Record<string, string> = { email: "邮箱", name: "姓名", role: "角色" };

const roleField = v.picklist(
  ROLES,
  msg("角色应为管理员、办理人员、评议人员或只读人员", "Role must be admin, handler, appraiser or viewer"),
);

const AddUser = v.strictObject({ email: emailField, name: line(60), role: roleField }, UNKNOWN_FIELD);
const RoleChange = v.strictObject({ role: roleField }, UNKNOWN_FIELD);
const NoFields = v.strictObject({}, UNKNOWN_FIELD);

const FLASH: Record<string, string> = {
  role: "角色已修改。",
  same: "角色没有变化。",
  removed: "已将该用户移出本部门。",
  disabled: "账户已停用，其所有会话和 API 令牌随即失效。",
  enabled: "账户已重新启用。",
};

/** One-time passwords: 12 random bytes, 16 characters, shown once and stored only as a hash. */
const oneTimePassword = () => randomSecret(12);

interface Draft {
  email?: string;
  name?: string;
  role?: string;
}

async function usersPage(
  c: Context<AppEnv>,
  dept: string,
  o: { flash?: string; error?: string; status?: number; draft?: Draft } = {},
) {
  const staff = c.get("staff")!;
  const members = await listMembers(c.get("db"), dept);
  const mayShared = can(staff, dept, "users.manage_shared");
  const draft = o.draft ?? {};
  return adminPage(
    c,
    { title: "用户与角色", active: "/admin/users", flash: o.flash, error: o.error, status: o.status },
    <>
      <h1>用户与角色</h1>
      <table>
        <thead>
          <tr>
            <th scope="col">邮箱</th>
            <th scope="col">姓名</th>
            <th scope="col">角色</th>
            <th scope="col">状态</th>
            <th scope="col">最近登录</th>
            <th scope="col">操作</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <MemberRow c={c} m={m} self={m.userId === staff.userId} mayShared={mayShared} />
          ))}
        </tbody>
      </table>
      {members.length === 0 ? <p class="muted">本部门还没有用户。</p> : null}

      <h2>添加用户</h2>
      <p class="muted">
        新用户会得到一个一次性密码（只显示一次），首次登录后必须修改。已在其他部门有账户的用户只会加上本部门的角色，密码不变。
      </p>
      <form method="post" action="/admin/users" class="filters">
        <Csrf c={c} />
        <div>
          <label for="add-email">邮箱</label>
          <input
            id="add-email"
            name="email"
            type="email"
            required
            maxlength={254}
            autocomplete="off"
            value={draft.email ?? ""}
          />
        </div>
        <div>
          <label for="add-name">姓名</label>
          <input
            id="add-name"
            name="name"
            required
            maxlength={60}
            autocomplete="off"
            value={draft.name ?? ""}
          />
        </div>
        <div>
          <label for="add-role">角色</label>
          <select id="add-role" name="role">
            {ROLES.map((r) => (
              <option value={r} selected={r === (draft.role ?? "handler")}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">添加</button>
        </div>
      </form>
      <h2>角色说明</h2>
      <dl>
        {ROLES.map((r) => (
          <>
            <dt>{ROLE_LABEL[r]}</dt>
            <dd>{ROLE_HELP[r]}</dd>
          </>
        ))}
      </dl>
    </>,
  );
}

function MemberRow({
  c,
  m,
  self,
  mayShared,
}: {
  c: Context<AppEnv>;
  m: Member;
  self: boolean;
  mayShared: boolean;
}) {
  const base = `/admin/users/${m.userId}`;
  const shared = m.systemAdmin || m.otherDepts > 0;
  const mayAccount = !self && (!shared || mayShared);
  return (
    <tr>
      <td>
        {m.email}
        {self ? <span class="tag">我</span> : null}
        {m.systemAdmin ? <span class="tag">系统管理员</span> : null}
      </td>
      <td>{m.name}</td>
      <td>{ROLE_LABEL[m.role] ?? m.role}</td>
      <td>
        {m.disabledAt ? (
          <span class="overdue">已停用</span>
        ) : m.mustChangePassword ? (
          "待修改初始密码"
        ) : (
          "正常"
        )}
        {m.otherDepts > 0 ? <div class="muted">另在 {m.otherDepts} 个部门有角色</div> : null}
      </td>
      <td>{m.lastSignInAt ? beijingTime(m.lastSignInAt) : <span class="muted">从未登录</span>}</td>
      <td>
        <form method="post" action={`${base}/role`} class="inline">
          <Csrf c={c} />
          <select name="role" aria-label={`${m.email} 的角色`}>
            {ROLES.map((r) => (
              <option value={r} selected={r === m.role}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            改角色
          </button>
        </form>
        {mayAccount ? (
          <form method="post" action={`${base}/reset-password`} class="inline">
            <Csrf c={c} />
            <button type="submit" class="secondary">
              重置密码
            </button>
          </form>
        ) : null}
        {mayAccount ? (
          <form method="post" action={`${base}/${m.disabledAt ? "enable" : "disable"}`} class="inline">
            <Csrf c={c} />
            <button type="submit" class="secondary">
              {m.disabledAt ? "启用账户" : "停用账户"}
            </button>
          </form>
        ) : null}
        <form method="post" action={`${base}/remove`} class="inline">
          <Csrf c={c} />
          <button type="submit" class="danger">
            移出本部门
          </button>
        </form>
        {!self && shared && !mayShared ? (
          <div class="muted">该用户在其他部门也有角色，只有系统管理员可以重置其密码或停用其账户。</div>
        ) : null}
      </td>
    </tr>
  );
}

/** The result page of a new account or a reset: the password, once. */
function oneTimePasswordPage(
  c: Context<AppEnv>,
  o: { title: string; email: string; password: string; note: string },
) {
  return adminPage(
    c,
    { title: o.title, active: "/admin/users" },
    <div class="narrow-wide">
      <h1>{o.title}</h1>
      <p>
        {o.email} 的一次性密码（<strong>只显示这一次</strong>，请通过安全渠道告知本人；首次登录后必须修改）：
      </p>
      <p class="once">
        <code>{o.password}</code>
      </p>
      <p class="muted">{o.note}</p>
      <p>
        <a href="/admin/users">返回用户列表</a>
      </p>
    </div>,
  );
}

userPages.get("/users", async (c) => {
  const dept = await allowedDept(c, "users.manage", "users.view");
  return usersPage(c, dept, { flash: FLASH[c.req.query("flash") ?? ""] });
});

userPages.post("/users", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.add");
  const db = c.get("db");
  const f = await formFields(c);
  const parsed = parseForm(AddUser, f, LABELS);
  if (!parsed.ok) {
    await audit(c, {
      deptId: dept,
      action: "user.add",
      result: "failed",
      detail: { reason: "invalid", fields: parsed.fields },
    });
    return usersPage(c, dept, { error: parsed.error, status: 400, draft: f });
  }
  const { email, name, role } = parsed.value;
  const existing = await findUserByEmail(db, email);
  if (existing) {
    if (!(await addMembership(db, existing.id, dept, role))) {
      await audit(c, {
        deptId: dept,
        action: "user.add",
        target: email,
        result: "failed",
        detail: { reason: "already_member", userId: existing.id },
      });
      return usersPage(c, dept, {
        error: "该用户已是本部门成员；如需调整，请在列表中修改其角色。（This user is already a member.）",
        status: 409,
        draft: f,
      });
    }
    await audit(c, {
      deptId: dept,
      action: "user.add",
      target: email,
      result: "ok",
      detail: { userId: existing.id, role, existingAccount: true },
    });
    return adminPage(
      c,
      { title: "已添加用户", active: "/admin/users" },
      <div class="narrow-wide">
        <h1>已添加用户</h1>
        <p>
          {email} 已有账户，现已加入本部门，角色为「{ROLE_LABEL[role]}
          」。该用户用原来的密码登录，在页面顶部切换部门。
        </p>
        {existing.disabledAt ? <p class="error">注意：该账户目前处于停用状态，无法登录。</p> : null}
        <p>
          <a href="/admin/users">返回用户列表</a>
        </p>
      </div>,
    );
  }
  const password = oneTimePassword();
  let userId: string;
  try {
    userId = await createUserWithRole(db, {
      email,
      name,
      passwordHash: await hashPassword(password),
      deptId: dept,
      role,
    });
  } catch (error) {
    // Another admin added the same e-mail a moment ago (users_email_uq): nothing was written.
    if (!/UNIQUE/i.test(String((error as Error)?.cause ?? error))) throw error;
    await audit(c, {
      deptId: dept,
      action: "user.add",
      target: email,
      result: "failed",
      detail: { reason: "race" },
    });
    return usersPage(c, dept, {
      error: "该邮箱刚刚已被添加，请刷新页面后重试。（The address was just added; reload and retry.）",
      status: 409,
      draft: f,
    });
  }
  await audit(c, {
    deptId: dept,
    action: "user.create",
    target: email,
    result: "ok",
    detail: { userId, role },
  });
  return oneTimePasswordPage(c, {
    title: "已创建账户",
    email,
    password,
    note: `角色：${ROLE_LABEL[role]}。离开本页后将无法再次查看该密码；如遗失，请为其重置密码。`,
  });
});

/** The member named in the path, in the current department only (404 otherwise). */
async function memberOf(c: Context<AppEnv>, dept: string): Promise<Member> {
  const id = c.req.param("id");
  const m = isUuid(id) ? await findMember(c.get("db"), dept, id) : null;
  if (!m) throw new AppError("not_found", "本部门没有该用户", "No such user in this department");
  return m;
}

/** Refuses (audited) an account-wide change the acting user may not make to `m`. */
async function checkAccountChange(c: Context<AppEnv>, dept: string, m: Member, action: string) {
  const staff = c.get("staff")!;
  if (m.userId === staff.userId) {
    await audit(c, { deptId: dept, action, target: m.email, result: "denied", detail: { reason: "self" } });
    throw new AppError(
      "forbidden",
      "不能对自己的账户进行此操作；修改自己的密码请到「我的账户」。",
      "You cannot do this to your own account; change your password under My account",
    );
  }
  if ((m.systemAdmin || m.otherDepts > 0) && !can(staff, dept, "users.manage_shared")) {
    await audit(c, {
      deptId: dept,
      action,
      target: m.email,
      result: "denied",
      detail: { reason: "shared_account" },
    });
    throw new AppError(
      "forbidden",
      "该用户在其他部门也有角色（或是系统管理员），只有系统管理员可以进行此操作",
      "This user also belongs to other departments (or is a system admin): only a system admin may do this",
    );
  }
}

function noExtraFields(f: Record<string, string>): string | null {
  const parsed = parseForm(NoFields, f, LABELS);
  return parsed.ok ? null : parsed.error;
}

userPages.post("/users/:id/role", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.role");
  const m = await memberOf(c, dept);
  const parsed = parseForm(RoleChange, await formFields(c), LABELS);
  if (!parsed.ok) {
    await audit(c, {
      deptId: dept,
      action: "user.role",
      target: m.email,
      result: "failed",
      detail: { reason: "invalid" },
    });
    return usersPage(c, dept, { error: parsed.error, status: 400 });
  }
  const role = parsed.value.role;
  if (role === m.role) return c.redirect("/admin/users?flash=same", 303);
  if (!(await changeRole(c.get("db"), dept, m.userId, role))) {
    await audit(c, {
      deptId: dept,
      action: "user.role",
      target: m.email,
      result: "failed",
      detail: { reason: "last_admin", from: m.role, to: role },
    });
    return usersPage(c, dept, {
      error:
        "不能更改本部门最后一位管理员的角色，请先指定另一位管理员。（The department's last admin cannot be demoted.）",
      status: 409,
    });
  }
  await audit(c, {
    deptId: dept,
    action: "user.role",
    target: m.email,
    result: "ok",
    detail: { userId: m.userId, from: m.role, to: role },
  });
  const self = m.userId === c.get("staff")!.userId;
  return c.redirect(self && role !== "admin" ? "/admin/account?flash=role" : "/admin/users?flash=role", 303);
});

userPages.post("/users/:id/reset-password", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.reset_password");
  const m = await memberOf(c, dept);
  await checkAccountChange(c, dept, m, "user.reset_password");
  const extra = noExtraFields(await formFields(c));
  if (extra) return usersPage(c, dept, { error: extra, status: 400 });
  const password = oneTimePassword();
  const db = c.get("db");
  await setPassword(db, m.userId, password, true);
  // Whoever holds a session of this account now loses it: the new password is the only way in.
  await revokeUserSessions(db, m.userId, Date.now());
  await audit(c, {
    deptId: dept,
    action: "user.reset_password",
    target: m.email,
    result: "ok",
    detail: { userId: m.userId },
  });
  return oneTimePasswordPage(c, {
    title: "已重置密码",
    email: m.email,
    password,
    note: "该用户原来的密码已失效，其所有登录会话已结束。",
  });
});

userPages.post("/users/:id/remove", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.remove");
  const m = await memberOf(c, dept);
  const extra = noExtraFields(await formFields(c));
  if (extra) return usersPage(c, dept, { error: extra, status: 400 });
  if (!(await removeMembership(c.get("db"), dept, m.userId))) {
    await audit(c, {
      deptId: dept,
      action: "user.remove",
      target: m.email,
      result: "failed",
      detail: { reason: "last_admin" },
    });
    return usersPage(c, dept, {
      error:
        "不能移出本部门最后一位管理员，请先指定另一位管理员。（The department's last admin cannot be removed.）",
      status: 409,
    });
  }
  await audit(c, {
    deptId: dept,
    action: "user.remove",
    target: m.email,
    result: "ok",
    detail: { userId: m.userId, role: m.role },
  });
  const self = m.userId === c.get("staff")!.userId;
  return c.redirect(self ? "/admin/account?flash=left" : "/admin/users?flash=removed", 303);
});

userPages.post("/users/:id/disable", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.disable");
  const m = await memberOf(c, dept);
  await checkAccountChange(c, dept, m, "user.disable");
  const extra = noExtraFields(await formFields(c));
  if (extra) return usersPage(c, dept, { error: extra, status: 400 });
  if (m.disabledAt) return c.redirect("/admin/users?flash=disabled", 303);
  const db = c.get("db");
  const now = Date.now();
  if (!(await disableUser(db, m.userId, now))) {
    await audit(c, {
      deptId: dept,
      action: "user.disable",
      target: m.email,
      result: "failed",
      detail: { reason: "last_admin" },
    });
    return usersPage(c, dept, {
      error:
        "该用户是某个部门唯一的管理员，不能停用，请先为该部门指定另一位管理员。（The user is a department's last admin.）",
      status: 409,
    });
  }
  await revokeUserSessions(db, m.userId, now);
  await audit(c, {
    deptId: dept,
    action: "user.disable",
    target: m.email,
    result: "ok",
    detail: { userId: m.userId },
  });
  return c.redirect("/admin/users?flash=disabled", 303);
});

userPages.post("/users/:id/enable", async (c) => {
  const dept = await allowedDept(c, "users.manage", "user.enable");
  const m = await memberOf(c, dept);
  await checkAccountChange(c, dept, m, "user.enable");
  const extra = noExtraFields(await formFields(c));
  if (extra) return usersPage(c, dept, { error: extra, status: 400 });
  if (await enableUser(c.get("db"), m.userId)) {
    await audit(c, {
      deptId: dept,
      action: "user.enable",
      target: m.email,
      result: "ok",
      detail: { userId: m.userId },
    });
  }
  return c.redirect("/admin/users?flash=enabled", 303);
});
