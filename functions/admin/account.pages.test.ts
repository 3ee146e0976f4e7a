import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  adminGet,
  adminPost,
  call,
  countRows,
  seedDept,
  seedPasswordUser,
  signIn,
} from "../../test/helpers.ts";
import { sha256Hex } from "../lib/crypto.ts";

const PASSWORD = "correct horse battery";
const uid = () => crypto.randomUUID().slice(0, 8);

async function freshUser(role: "admin" | "handler" | "viewer" = "viewer") {
  const slug = `a-${uid()}`;
  const dept = await seedDept(slug, `账户局 ${slug}`);
  const email = `${role}-${uid()}@${slug}.gov.cn`;
  const userId = await seedPasswordUser(dept, email, PASSWORD, role);
  const s = await signIn(email, PASSWORD);
  return { dept, slug, email, userId, s };
}

async function lastAudit(action: string) {
  return env.DB.prepare(
    "SELECT dept_id, actor_id, target, result, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
  )
    .bind(action)
    .first<{
      dept_id: string | null;
      actor_id: string;
      target: string;
      result: string;
      detail: string | null;
    }>();
}

const shownToken = (html: string) => /<p class="once"><code>([^<]+)<\/code>/.exec(html)?.[1] ?? "";

describe("GET /admin/account", () => {
  it("opens for a viewer: profile, roles per department, password link, sessions; uncached and unframable", async () => {
    const { email, slug, userId, s } = await freshUser("viewer");
    const other = await seedDept(`a2-${uid()}`, "另一个局");
    await env.DB.prepare("INSERT INTO memberships (user_id, dept_id, role) VALUES (?, ?, 'handler')")
      .bind(userId, other)
      .run();
    const res = await adminGet("/admin/account", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain(email);
    expect(html).toContain(slug);
    expect(html).toContain("只读人员");
    expect(html).toContain("另一个局");
    expect(html).toContain("办理人员");
    expect(html).toContain('href="/admin/password"');
    expect(html).toContain("本机");
    // The client address is shown without its host part.
    expect(html).toMatch(/198\.51\.100\.\*/);
    expect(html).not.toMatch(/198\.51\.100\.\d+/);
  });

  it("opens for a user without any department", async () => {
    const email = `nodept-${uid()}@x.gov.cn`;
    await seedPasswordUser(null, email, PASSWORD);
    const s = await signIn(email, PASSWORD);
    const res = await adminGet("/admin/account", s);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("在任何部门都没有角色");
  });

  it("sends a signed-out visitor to the sign-in page", async () => {
    const res = await call("/admin/account", { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Faccount");
  });
});

describe("personal API tokens", () => {
  it("creates a token shown once, stored as its SHA-256, that works on the API until revoked", async () => {
    const { dept, userId, s } = await freshUser("handler");
    const res = await adminPost("/admin/account/tokens", s, {
      name: "<script>alert(1)</script>",
      days: "30",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    const token = shownToken(html);
    expect(token).toMatch(/^hy_[A-Za-z0-9_-]{32}$/);
    expect(html).toContain("只显示这一次");
    const row = await env.DB.prepare(
      "SELECT id, token_hash, name, expires_at, created_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC",
    )
      .bind(userId)
      .first<{ id: string; token_hash: string; name: string; expires_at: number; created_at: number }>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    expect(row?.name).toBe("<script>alert(1)</script>");
    expect(row!.expires_at - row!.created_at).toBe(30 * 86_400_000);
    const log = await lastAudit("account.token_create");
    expect(log).toMatchObject({ dept_id: dept, actor_id: userId, target: row!.id, result: "ok" });
    expect(log?.detail).not.toContain(token);

    const page = await (await adminGet("/admin/account", s)).text();
    expect(page).not.toContain(token);
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("从未使用");

    const api = () => call("/api/v1/admin/cases", { headers: { authorization: `Bearer ${token}` } });
    expect((await api()).status).toBe(200);
    expect(await (await adminGet("/admin/account", s)).text()).not.toContain("从未使用");

    const revoke = await adminPost(`/admin/account/tokens/${row!.id}/revoke`, s, {});
    expect(revoke.status).toBe(303);
    expect((await api()).status).toBe(401);
    expect(await (await adminGet("/admin/account", s)).text()).toContain("已撤销");
    expect(await lastAudit("account.token_revoke")).toMatchObject({ target: row!.id, result: "ok" });
    expect((await adminPost(`/admin/account/tokens/${row!.id}/revoke`, s, {})).status).toBe(404);
  });

  it("defaults to 90 days on the form", async () => {
    const { s } = await freshUser();
    const html = await (await adminGet("/admin/account", s)).text();
    expect(html).toContain('name="days" type="number" min="1" max="365" required="" value="90"');
  });

  it.each([
    [{ name: "ci", days: "0" }, "有效天数：应为 1 到 365 的整数"],
    [{ name: "ci", days: "366" }, "Must be a whole number from 1 to 365"],
    [{ name: "ci", days: "abc" }, "有效天数"],
    [{ name: "", days: "30" }, "令牌名称：此项为必填项"],
    [{ name: "ci", days: "30", userId: "someone-else" }, "表单中没有此项"],
  ])("refuses %o with nothing written", async (fields, message) => {
    const { s } = await freshUser();
    const before = await countRows("api_tokens");
    const res = await adminPost("/admin/account/tokens", s, fields as Record<string, string>);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
    expect(await countRows("api_tokens")).toBe(before);
    expect(await lastAudit("account.token_create")).toMatchObject({ result: "failed" });
  });

  it("never lists or revokes another user's token", async () => {
    const a = await freshUser("admin");
    const b = await freshUser("admin");
    const made = await adminPost("/admin/account/tokens", a.s, { name: "A 的集成", days: "10" });
    const token = shownToken(await made.text());
    const row = await env.DB.prepare("SELECT id FROM api_tokens WHERE user_id = ?")
      .bind(a.userId)
      .first<{ id: string }>();
    expect(await (await adminGet("/admin/account", b.s)).text()).not.toContain("A 的集成");
    expect((await adminPost(`/admin/account/tokens/${row!.id}/revoke`, b.s, {})).status).toBe(404);
    expect(
      (await env.DB.prepare("SELECT revoked_at FROM api_tokens WHERE id = ?").bind(row!.id).first())
        ?.revoked_at,
    ).toBeNull();
    expect(
      (await call("/api/v1/admin/cases", { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });
});

describe("sign out everywhere", () => {
  it("ends every session of the user, this one included, and audits it", async () => {
    const { email, userId, s } = await freshUser("handler");
    const phone = await signIn(email, PASSWORD);
    const html = await (await adminGet("/admin/account", s)).text();
    expect(html.match(/<tr><td>\d{4}-/g)?.length).toBeGreaterThanOrEqual(2);
    const res = await adminPost("/admin/account/sessions/revoke-all", s, {});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login");
    expect((await adminGet("/admin/account", s)).status).toBe(303);
    expect((await adminGet("/admin/account", phone)).status).toBe(303);
    expect(await lastAudit("account.sign_out_everywhere")).toMatchObject({ actor_id: userId, result: "ok" });
    // Signing in again works.
    expect((await signIn(email, PASSWORD)).res.status).toBe(303);
  });

  it("refuses without the CSRF token, and the sessions live on", async () => {
    const { s } = await freshUser();
    const res = await adminPost("/admin/account/sessions/revoke-all", { cookie: s.cookie, csrf: "" }, {});
    expect(res.status).toBe(403);
    expect((await adminGet("/admin/account", s)).status).toBe(200);
  });
});
