/**
 * The staff page shell: server-rendered, no script at all, one small inline stylesheet named by its
 * hash in the CSP, never framable, never cached.
 */
import { inArray } from "drizzle-orm";
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { ADMIN_CSS, ADMIN_CSS_HASH } from "../../forms/widget/assets.gen.ts";
import { departments } from "../../schema/tables.ts";
import { can } from "../auth/permissions.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { pageCsp } from "../lib/security-headers.ts";

export const ADMIN_CSP = pageCsp({ styleHashes: [ADMIN_CSS_HASH], frameAncestors: [] });

/** The hidden CSRF field every state-changing admin form carries. */
export function Csrf({ c }: { c: Context<AppEnv> }) {
  return <input type="hidden" name="_csrf" value={c.get("session")?.csrfToken ?? ""} />;
}

/** The department the signed-in user is working in (throws when they have none). */
export function currentDept(c: Context<AppEnv>): string {
  const id = c.get("session")?.deptId;
  if (!id) throw new AppError("forbidden", "您还没有任何部门的角色", "You have no role in any department");
  return id;
}

const NAV = [
  { href: "/admin", label: "工作台", action: "cases.read" },
  { href: "/admin/cases", label: "来信办理", action: "cases.read" },
  { href: "/admin/forms", label: "表单与嵌入", action: "forms.read" },
  { href: "/admin/users", label: "用户与角色", action: "users.manage" },
  { href: "/admin/settings", label: "部门设置", action: "settings.manage" },
  { href: "/admin/templates", label: "答复模板", action: "templates.manage" },
  { href: "/admin/audit", label: "审计日志", action: "audit.read" },
] as const;

export interface AdminPageOptions {
  title: string;
  /** The nav entry to mark as current. */
  active?: string;
  flash?: string;
  error?: string;
  status?: number;
}

export async function adminPage(c: Context<AppEnv>, o: AdminPageOptions, body: Child): Promise<Response> {
  const session = c.get("session");
  let deptOptions: { id: string; name: string }[] = [];
  if (session) {
    const p = session.principal;
    const rows = p.systemAdmin
      ? await c.get("db").select({ id: departments.id, name: departments.name }).from(departments).all()
      : await c
          .get("db")
          .select({ id: departments.id, name: departments.name })
          .from(departments)
          .where(inArray(departments.id, [...p.roles.keys(), ""]))
          .all();
    deptOptions = rows;
  }
  const dept = session?.deptId;
  const page = (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${o.title} · 回音`}</title>
        <style>{raw(ADMIN_CSS)}</style>
      </head>
      <body>
        {session ? (
          <header class="top">
            <span class="brand">回音 · 工作台</span>
            <nav aria-label="主导航">
              {NAV.filter((n) => dept && can(session.principal, dept, n.action)).map((n) => (
                <a href={n.href} aria-current={o.active === n.href ? "page" : undefined}>
                  {n.label}
                </a>
              ))}
              <a href="/admin/account" aria-current={o.active === "/admin/account" ? "page" : undefined}>
                我的账户
              </a>
            </nav>
            <form method="post" action="/admin/switch-dept">
              <Csrf c={c} />
              {deptOptions.length > 1 ? (
                <>
                  <select id="dept-switch" name="dept" aria-label="当前部门">
                    {deptOptions.map((d) => (
                      <option value={d.id} selected={d.id === dept}>
                        {d.name}
                      </option>
                    ))}
                  </select>
                  <button type="submit" class="secondary">
                    切换
                  </button>
                </>
              ) : (
                <span>{deptOptions[0]?.name ?? ""}</span>
              )}
              <span>{session.principal.email}</span>
              <button type="submit" formaction="/admin/logout" class="secondary">
                退出
              </button>
            </form>
          </header>
        ) : null}
        <main>
          {o.flash ? (
            <p class="flash" role="status">
              {o.flash}
            </p>
          ) : null}
          {o.error ? (
            <p class="error" role="alert">
              {o.error}
            </p>
          ) : null}
          {body}
        </main>
      </body>
    </html>
  );
  return new Response(`<!doctype html>${page}`, {
    status: o.status ?? 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": ADMIN_CSP,
      "Cache-Control": "no-store",
      "X-Frame-Options": "DENY",
    },
  });
}

/** Errors on staff pages are pages too (the JSON shape is for the API). */
export function adminErrorPage(err: AppError, requestId: string): Response {
  const page = (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${err.messageZh} · 回音`}</title>
        <style>{raw(ADMIN_CSS)}</style>
      </head>
      <body>
        <main class="narrow">
          <h1>{err.status === 404 ? "找不到该页面" : err.status === 403 ? "没有权限" : "出错了"}</h1>
          <p class="error" role="alert">
            {err.messageZh}
            <br />
            <span lang="en">{err.messageEn}</span>
          </p>
          <p class="muted">请求编号 {requestId}</p>
          <p>
            <a href="/admin">返回工作台</a>
          </p>
        </main>
      </body>
    </html>
  );
  return new Response(`<!doctype html>${page}`, {
    status: err.status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": ADMIN_CSP,
      "Cache-Control": "no-store",
      "X-Frame-Options": "DENY",
    },
  });
}
