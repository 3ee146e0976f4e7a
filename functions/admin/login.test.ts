import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adminGet, adminPost, call, seedDept, seedPasswordUser, signIn } from "../../test/helpers.ts";
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, lockFor } from "../auth/sessions.ts";

const PASSWORD = "correct horse battery";

describe("staff sign-in", () => {
  let dept: string;
  beforeEach(async () => {
    dept = await seedDept();
    await seedPasswordUser(dept, "handler@demo.gov.cn", PASSWORD, "handler");
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends a signed-out visitor from /admin to the sign-in page", async () => {
    const res = await call("/admin/cases?state=received", { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fcases%3Fstate%3Dreceived");
  });

  it("signs in with a HttpOnly, Secure, SameSite=Lax host-only cookie and opens the dashboard", async () => {
    const { res, cookie } = await signIn("HANDLER@demo.gov.cn", PASSWORD);
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-hy_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    const page = await adminGet("/admin", { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(await page.text()).toContain("工作台");
    const log = await env.DB.prepare(
      "SELECT result, dept_id FROM audit_log WHERE action = 'auth.sign_in' AND target = 'handler@demo.gov.cn' ORDER BY id DESC LIMIT 1",
    ).first<{ result: string; dept_id: string | null }>();
    expect(log?.result).toBe("ok");
    // In the session's department, so that the department's audit page lists it.
    expect(log?.dept_id).toBe(dept);
  });

  it("refuses a wrong password with the same message as an unknown e-mail, and audits both", async () => {
    const denied = () =>
      env.DB.prepare(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'auth.sign_in' AND result = 'denied'",
      ).first<{ n: number }>();
    const before = (await denied())?.n ?? 0;
    const wrong = await signIn("handler@demo.gov.cn", "wrong password!");
    const unknown = await signIn("nobody@demo.gov.cn", PASSWORD);
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(wrong.cookie).toBe("");
    const a = await wrong.res.text();
    const b = await unknown.res.text();
    expect(a).toContain("邮箱或密码不正确");
    expect(b).toContain("邮箱或密码不正确");
    expect((await denied())?.n).toBe(before + 2);
  });

  it.each([
    [4, 0],
    [5, 60_000],
    [6, 120_000],
    [7, 240_000],
    [11, 3_600_000],
    [30, 3_600_000],
  ])("backs off: after %i failures the account locks for %i ms", (failures, ms) => {
    expect(lockFor(failures)).toBe(ms);
  });

  it("locks the account after five failures, even for the right password, until the lock ends", async () => {
    for (let i = 0; i < 5; i++) await signIn("handler@demo.gov.cn", `wrong-${i}-password`);
    const locked = await signIn("handler@demo.gov.cn", PASSWORD);
    expect(locked.res.status).toBe(429);
    expect(await locked.res.text()).toContain("临时锁定");
    await env.DB.prepare("UPDATE users SET locked_until = 1 WHERE email = 'handler@demo.gov.cn'").run();
    const ok = await signIn("handler@demo.gov.cn", PASSWORD);
    expect(ok.res.status).toBe(303);
  });

  it("ends a session after 30 idle minutes and after 12 hours whatever the activity", async () => {
    const { cookie } = await signIn("handler@demo.gov.cn", PASSWORD);
    const idHashRow = await env.DB.prepare("SELECT id_hash, last_seen_at, expires_at FROM sessions").first<{
      id_hash: string;
      last_seen_at: number;
      expires_at: number;
    }>();
    expect(idHashRow!.expires_at - idHashRow!.last_seen_at).toBe(ABSOLUTE_TIMEOUT_MS);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ?")
      .bind(Date.now() - IDLE_TIMEOUT_MS - 1)
      .run();
    expect((await adminGet("/admin", { cookie })).status).toBe(303);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ?, expires_at = ?")
      .bind(Date.now(), Date.now() - 1)
      .run();
    expect((await adminGet("/admin", { cookie })).status).toBe(303);
  });

  it("logs out: the cookie no longer opens anything", async () => {
    const s = await signIn("handler@demo.gov.cn", PASSWORD);
    const out = await adminPost("/admin/logout", s, {});
    expect(out.status).toBe(303);
    expect((await adminGet("/admin", s)).status).toBe(303);
  });

  it("refuses a state-changing form without the CSRF token or from another origin", async () => {
    const s = await signIn("handler@demo.gov.cn", PASSWORD);
    const noToken = await adminPost("/admin/logout", { cookie: s.cookie, csrf: "" }, {});
    expect(noToken.status).toBe(403);
    const wrongToken = await adminPost("/admin/logout", { cookie: s.cookie, csrf: "x".repeat(32) }, {});
    expect(wrongToken.status).toBe(403);
    const crossSite = await call("/admin/logout", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `__Host-hy_session=${s.cookie}`,
        origin: "https://evil.example",
      },
      body: new URLSearchParams({ _csrf: s.csrf }).toString(),
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    // The session survived all three attempts.
    expect((await adminGet("/admin", s)).status).toBe(200);
  });

  it("forces a password change after a one-time password and ends the other sessions", async () => {
    await seedPasswordUser(dept, "new@demo.gov.cn", "one-time-pw-123", "handler");
    await env.DB.prepare("UPDATE users SET must_change_password = 1 WHERE email = 'new@demo.gov.cn'").run();
    const other = await signIn("new@demo.gov.cn", "one-time-pw-123");
    const s = await signIn("new@demo.gov.cn", "one-time-pw-123");
    expect(s.res.headers.get("location")).toBe("/admin/password");
    expect((await adminGet("/admin", s)).headers.get("location")).toBe("/admin/password");
    const short = await adminPost("/admin/password", s, {
      current: "one-time-pw-123",
      next: "short",
      confirm: "short",
    });
    expect(short.status).toBe(400);
    const changed = await adminPost("/admin/password", s, {
      current: "one-time-pw-123",
      next: "a much better passphrase",
      confirm: "a much better passphrase",
    });
    expect(changed.status).toBe(303);
    const fresh = /__Host-hy_session=([^;]+)/.exec(changed.headers.get("set-cookie") ?? "")?.[1] ?? "";
    expect((await adminGet("/admin", { cookie: fresh })).status).toBe(200);
    expect((await adminGet("/admin", other)).status).toBe(303);
    expect((await signIn("new@demo.gov.cn", "a much better passphrase")).res.headers.get("location")).toBe(
      "/admin",
    );
  });

  it("answers an unknown staff address with the staff error page, not JSON", async () => {
    const s = await signIn("handler@demo.gov.cn", PASSWORD);
    const res = await adminGet("/admin/no-such-page", s);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(await res.text()).toContain("找不到该页面");
  });

  it("only follows a next path inside /admin", async () => {
    const res = await call("/admin/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        email: "handler@demo.gov.cn",
        password: PASSWORD,
        next: "//evil.example/x",
      }).toString(),
      redirect: "manual",
    });
    expect(res.headers.get("location")).toBe("/admin");
  });
});
