/** Sign-in, sign-out, password change and switching the current department. */

import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { findUserByEmail, principalFor } from "../../schema/queries/staff.ts";
import { users } from "../../schema/tables.ts";
import {
  checkPassword,
  createSession,
  firstDept,
  passwordProblem,
  revokeSession,
  revokeUserSessions,
  SESSION_COOKIE,
  SESSION_COOKIE_OPTIONS,
  setPassword,
  switchDept,
} from "../auth/sessions.ts";
import { audit } from "../lib/audit.ts";
import { verifyPassword } from "../lib/crypto.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { adminPage, Csrf } from "./admin-layout.tsx";
import { formFields, requireSession } from "./admin-session.ts";

export const loginRoutes = new Hono<AppEnv>();

/** Only paths inside /admin are followed after sign-in (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/admin(\/[A-Za-z0-9/_\-.?=&%]*)?$/.test(next) && !next.startsWith("//") ? next : "/admin";
}

function loginForm(
  c: Context<AppEnv>,
  opts: { error?: string; email?: string; next?: string; status?: number },
) {
  return adminPage(
    c,
    { title: "登录", error: opts.error, status: opts.status },
    <div class="narrow">
      <h1>回音 · 工作人员登录</h1>
      <form method="post" action="/admin/login">
        <input type="hidden" name="next" value={safeNext(opts.next)} />
        <label for="email">邮箱</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value={opts.email ?? ""}
        />
        <label for="password">密码</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <p>
          <button type="submit">登录</button>
        </p>
      </form>
    </div>,
  );
}

const clientIp = (c: Context<AppEnv>) => c.req.header("cf-connecting-ip") ?? null;

function setSessionCookie(c: Context<AppEnv>, token: string) {
  setCookie(c, SESSION_COOKIE, token, SESSION_COOKIE_OPTIONS);
}

loginRoutes.get("/login", async (c) => {
  return loginForm(c, { next: c.req.query("next") });
});

loginRoutes.post("/login", async (c) => {
  // No session yet, so no synchroniser token: a cross-site sign-in is refused by its Origin.
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin) {
    throw new AppError("forbidden", "请求来源不可信", "Cross-site sign-in refused");
  }
  const f = await formFields(c);
  const email = (f.email ?? "").trim().toLowerCase().slice(0, 254);
  const ip = clientIp(c);
  if (c.env.LOGIN_LIMITER) {
    const { success } = await c.env.LOGIN_LIMITER.limit({ key: ip ?? "local" });
    if (!success)
      return loginForm(c, { error: "登录尝试过于频繁，请一分钟后再试。", email, next: f.next, status: 429 });
  }
  const now = Date.now();
  const result = await checkPassword(c.get("db"), email, f.password ?? "", now);
  if (!result.ok) {
    const user = await findUserByEmail(c.get("db"), email);
    await audit(c, {
      deptId: null,
      action: "auth.sign_in",
      target: email,
      result: "denied",
      detail: { reason: result.reason, ...(user ? { userId: user.id } : {}) },
    });
    const error =
      result.reason === "locked"
        ? `登录失败次数过多，账户已临时锁定，请在 ${Math.ceil(((result.lockedUntil ?? now) - now) / 60_000)} 分钟后再试。`
        : "邮箱或密码不正确。";
    return loginForm(c, { error, email, next: f.next, status: result.reason === "locked" ? 429 : 401 });
  }
  const principal = await principalFor(c.get("db"), result.userId);
  const dept = principal ? firstDept(principal) : null;
  const token = await createSession(
    c.get("db"),
    result.userId,
    dept,
    { ip, userAgent: c.req.header("user-agent") ?? null },
    now,
  );
  setSessionCookie(c, token);
  c.set("staff", principal ?? undefined);
  // In the department the session starts in (as the sign-out is): its admins see it in their log.
  await audit(c, { deptId: dept, action: "auth.sign_in", target: email, result: "ok" });
  return c.redirect(result.mustChangePassword ? "/admin/password" : safeNext(f.next), 303);
});

loginRoutes.post("/logout", requireSession, async (c) => {
  const session = c.get("session")!;
  await revokeSession(c.get("db"), session.idHash, Date.now());
  await audit(c, { deptId: session.deptId, action: "auth.sign_out", result: "ok" });
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
  return c.redirect("/admin/login", 303);
});

function passwordForm(c: Context<AppEnv>, opts: { error?: string; status?: number }) {
  const forced = c.get("session")?.mustChangePassword;
  return adminPage(
    c,
    { title: "修改密码", active: "/admin/account", error: opts.error, status: opts.status },
    <div class="narrow">
      <h1>修改密码</h1>
      {forced ? <p>您正在使用一次性密码，请先设置自己的密码。</p> : null}
      <form method="post" action="/admin/password">
        <Csrf c={c} />
        <label for="current">当前密码</label>
        <input id="current" name="current" type="password" autocomplete="current-password" required />
        <label for="next">新密码（至少 10 个字符）</label>
        <input id="next" name="next" type="password" autocomplete="new-password" required minlength={10} />
        <label for="confirm">再次输入新密码</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          autocomplete="new-password"
          required
          minlength={10}
        />
        <p>
          <button type="submit">保存新密码</button>
        </p>
      </form>
    </div>,
  );
}

loginRoutes.get("/password", requireSession, (c) => passwordForm(c, {}));

loginRoutes.post("/password", requireSession, async (c) => {
  const session = c.get("session")!;
  const f = await formFields(c);
  const user = await c.get("db").select().from(users).where(eq(users.id, session.principal.userId)).get();
  if (!user || !(await verifyPassword(f.current ?? "", user.passwordHash))) {
    await audit(c, { deptId: session.deptId, action: "auth.password_change", result: "denied" });
    return passwordForm(c, { error: "当前密码不正确。", status: 400 });
  }
  const next = f.next ?? "";
  const problem = passwordProblem(next, user.email);
  if (problem) return passwordForm(c, { error: problem[0], status: 400 });
  if (next !== f.confirm) return passwordForm(c, { error: "两次输入的新密码不一致。", status: 400 });
  if (await verifyPassword(next, user.passwordHash))
    return passwordForm(c, { error: "新密码不能与当前密码相同。", status: 400 });
  const now = Date.now();
  await setPassword(c.get("db"), user.id, next, false);
  // Every other session of this user ends; this browser gets a fresh one.
  await revokeUserSessions(c.get("db"), user.id, now);
  const token = await createSession(
    c.get("db"),
    user.id,
    session.deptId,
    { ip: clientIp(c), userAgent: c.req.header("user-agent") ?? null },
    now,
  );
  setSessionCookie(c, token);
  await audit(c, { deptId: session.deptId, action: "auth.password_change", result: "ok" });
  return c.redirect("/admin?flash=password", 303);
});

loginRoutes.post("/switch-dept", requireSession, async (c) => {
  const session = c.get("session")!;
  const f = await formFields(c);
  const dept = f.dept ?? "";
  const p = session.principal;
  if (!p.systemAdmin && !p.roles.has(dept)) {
    await audit(c, { deptId: dept || null, action: "auth.switch_dept", result: "denied" });
    throw new AppError("forbidden", "您在该部门没有角色", "You have no role in that department");
  }
  await switchDept(c.get("db"), session.idHash, dept);
  await audit(c, { deptId: dept, action: "auth.switch_dept", result: "ok" });
  return c.redirect("/admin", 303);
});
