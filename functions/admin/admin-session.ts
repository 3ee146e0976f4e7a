/**
 * The admin pages' gate: a signed-in session (else the sign-in page), the forced password change
 * after a one-time password, and CSRF protection on every state-changing request: a per-session
 * token in each form (synchroniser token) plus a same-origin check of the Origin header.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { signInWithAccess } from "../auth/access.ts";
import { loadSession, SESSION_COOKIE, SESSION_COOKIE_OPTIONS } from "../auth/sessions.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  let session = token ? await loadSession(c.get("db"), token, Date.now()) : null;
  const url = new URL(c.req.url);
  // Departments behind Cloudflare Access: a valid assertion on a page load starts a session.
  const viaAccess = !session && SAFE.has(c.req.method) ? await signInWithAccess(c) : null;
  if (viaAccess) session = await loadSession(c.get("db"), viaAccess, Date.now());
  // Set after the page is made: a handler's own Response would drop headers prepared before it.
  const issueCookie = () => {
    if (viaAccess) setCookie(c, SESSION_COOKIE, viaAccess, SESSION_COOKIE_OPTIONS);
  };
  if (!session) {
    if (!SAFE.has(c.req.method))
      throw new AppError("unauthorized", "登录已过期，请重新登录", "Your session has ended; sign in again");
    c.header("Cache-Control", "no-store");
    return c.redirect(`/admin/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  c.set("session", session);
  c.set("staff", session.principal);
  if (!SAFE.has(c.req.method)) await checkCsrf(c, session.csrfToken);
  if (session.mustChangePassword && url.pathname !== "/admin/password" && url.pathname !== "/admin/logout") {
    issueCookie();
    return c.redirect("/admin/password", 303);
  }
  await next();
  c.header("Cache-Control", "no-store");
  issueCookie();
});

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

async function checkCsrf(c: Context<AppEnv>, expected: string): Promise<void> {
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin) {
    throw new AppError(
      "forbidden",
      "请求来源不可信（CSRF 防护）",
      "Cross-site request refused (CSRF protection)",
    );
  }
  const type = c.req.header("content-type") ?? "";
  let sent = "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    const body = await c.req.parseBody();
    sent = typeof body._csrf === "string" ? body._csrf : "";
  }
  if (!sent || !timingSafeEqual(sent, expected)) {
    throw new AppError(
      "forbidden",
      "表单已失效，请刷新页面后重试（CSRF 防护）",
      "The form has expired; reload and retry (CSRF protection)",
    );
  }
}

/** The form body of an admin POST (already parsed by the CSRF check), as strings. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string") out[k] = first;
  }
  return out;
}
