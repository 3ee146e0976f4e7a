import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminGet, adminPost, countRows, seedDept, seedPasswordUser, signIn } from "../../test/helpers.ts";

const PASSWORD = "correct horse battery";
const uid = () => crypto.randomUUID().slice(0, 8);

/** A department of its own with one signed-in admin (storage persists across the tests of a file). */
async function freshDept(role: "admin" | "handler" | "viewer" = "admin") {
  const slug = `u-${uid()}`;
  const dept = await seedDept(slug, `测试局 ${slug}`);
  const email = `${role}-${uid()}@${slug}.gov.cn`;
  const userId = await seedPasswordUser(dept, email, PASSWORD, role);
  const s = await signIn(email, PASSWORD);
  return { dept, slug, email, userId, s };
}

async function userByEmail(email: string) {
  return env.DB.prepare("SELECT * FROM users WHERE email = ?").bind(email).first<{
    id: string;
    must_change_password: number;
    disabled_at: number | null;
    password_hash: string;
    name: string;
  }>();
}

async function roleOf(userId: string, dept: string) {
  return (
    await env.DB.prepare("SELECT role FROM memberships WHERE user_id = ? AND dept_id = ?")
      .bind(userId, dept)
      .first<{ role: string }>()
  )?.role;
}

async function lastAudit(action: string) {
  return env.DB.prepare(
    "SELECT dept_id, actor_id, target, result, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
  )
    .bind(action)
    .first<{ dept_id: string; actor_id: string; target: string; result: string; detail: string | null }>();
}

const oneTimePassword = (html: string) => /<p class="once"><code>([^<]+)<\/code>/.exec(html)?.[1] ?? "";

describe("GET /admin/users", () => {
  it("lists the department's members with role, status and last sign-in, uncached and unframable", async () => {
    const { dept, email, s } = await freshDept();
    await seedPasswordUser(dept, `viewer-${uid()}@x.gov.cn`, PASSWORD, "viewer");
    const res = await adminGet("/admin/users", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain(email);
    expect(html).toContain("管理员");
    expect(html).toContain("只读人员");
    expect(html).toContain("从未登录");
    // The signed-in admin has a session, so a time is shown for them.
    expect(html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(html).not.toContain("<script");
  });
});

describe("POST /admin/users", () => {
  it("creates an account with a one-time password shown once, which must be changed at first sign-in", async () => {
    const { dept, s } = await freshDept();
    const email = `New-${uid()}@Example.gov.cn`;
    const res = await adminPost("/admin/users", s, { email, name: "王小明", role: "handler" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    const password = oneTimePassword(html);
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(html).toContain("只显示这一次");
    const user = await userByEmail(email.toLowerCase());
    expect(user?.must_change_password).toBe(1);
    expect(user?.name).toBe("王小明");
    expect(user?.password_hash).not.toContain(password);
    expect(await roleOf(user!.id, dept)).toBe("handler");
    const log = await lastAudit("user.create");
    expect(log).toMatchObject({ dept_id: dept, target: email.toLowerCase(), result: "ok" });
    expect(log?.detail).not.toContain(password);
    // The list does not show it again.
    expect(await (await adminGet("/admin/users", s)).text()).not.toContain(password);
    const first = await signIn(email, password);
    expect(first.res.headers.get("location")).toBe("/admin/password");
  });

  it("gives a user of another department only the membership, keeping their password", async () => {
    const a = await freshDept();
    const b = await freshDept();
    const before = await userByEmail(b.email);
    const res = await adminPost("/admin/users", a.s, { email: b.email, name: "别的名字", role: "viewer" });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("已有账户");
    expect(oneTimePassword(html)).toBe("");
    const after = await userByEmail(b.email);
    expect(after?.password_hash).toBe(before?.password_hash);
    expect(after?.name).toBe(before?.name);
    expect(await roleOf(b.userId, a.dept)).toBe("viewer");
    expect(await roleOf(b.userId, b.dept)).toBe("admin");
    expect(await lastAudit("user.add")).toMatchObject({ dept_id: a.dept, target: b.email, result: "ok" });
    // Adding them twice is refused, and nothing changes.
    const again = await adminPost("/admin/users", a.s, { email: b.email, name: "x", role: "admin" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("已是本部门成员");
    expect(await roleOf(b.userId, a.dept)).toBe("viewer");
  });

  it.each([
    [
      { email: "not-an-address", name: "张三", role: "handler" },
      "请填写正确的电子邮箱",
      "Enter a valid e-mail address",
    ],
    [{ email: "ok@x.gov.cn", name: "", role: "handler" }, "姓名：此项为必填项", "This field is required"],
    [{ email: "ok@x.gov.cn", name: "张三", role: "owner" }, "角色", "Role must be admin"],
    [
      { email: "ok@x.gov.cn", name: "张三", role: "handler", systemAdmin: "1" },
      "表单中没有此项",
      "no such field",
    ],
    [{ email: "ok@x.gov.cn", name: "张".repeat(61), role: "handler" }, "不能超过 60 个字", "at most 60"],
    [{ email: "ok@x.gov.cn", name: "王\u0007明", role: "handler" }, "含有不允许的控制字符", "not allowed"],
  ])("refuses %o in Chinese and English and writes nothing", async (fields, zh, en) => {
    const { s } = await freshDept();
    const users = await countRows("users");
    const members = await countRows("memberships");
    const res = await adminPost("/admin/users", s, fields as Record<string, string>);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(zh);
    expect(html).toContain(en);
    expect(await countRows("users")).toBe(users);
    expect(await countRows("memberships")).toBe(members);
    expect((await lastAudit("user.add"))?.result).toBe("failed");
  });

  it("renders a user-entered name escaped", async () => {
    const { s } = await freshDept();
    await adminPost("/admin/users", s, {
      email: `xss-${uid()}@x.gov.cn`,
      name: "<script>alert(1)</script>",
      role: "viewer",
    });
    const html = await (await adminGet("/admin/users", s)).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
  });
});

describe("changing a member", () => {
  it("changes a role, and never demotes or removes the department's last admin", async () => {
    const { dept, userId, s } = await freshDept();
    const other = await seedPasswordUser(dept, `h-${uid()}@x.gov.cn`, PASSWORD, "handler");
    const res = await adminPost(`/admin/users/${other}/role`, s, { role: "appraiser" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/users?flash=role");
    expect(await roleOf(other, dept)).toBe("appraiser");
    expect(await lastAudit("user.role")).toMatchObject({ result: "ok", dept_id: dept });
    expect(JSON.parse((await lastAudit("user.role"))!.detail!)).toMatchObject({
      from: "handler",
      to: "appraiser",
    });

    const demote = await adminPost(`/admin/users/${userId}/role`, s, { role: "handler" });
    expect(demote.status).toBe(409);
    expect(await demote.text()).toContain("最后一位管理员");
    expect(await roleOf(userId, dept)).toBe("admin");
    expect(await lastAudit("user.role")).toMatchObject({ result: "failed" });

    const remove = await adminPost(`/admin/users/${userId}/remove`, s, {});
    expect(remove.status).toBe(409);
    expect(await roleOf(userId, dept)).toBe("admin");
    expect(await lastAudit("user.remove")).toMatchObject({ result: "failed" });

    // With a second admin, the first may step down.
    await adminPost(`/admin/users/${other}/role`, s, { role: "admin" });
    const stepDown = await adminPost(`/admin/users/${userId}/role`, s, { role: "viewer" });
    expect(stepDown.status).toBe(303);
    expect(stepDown.headers.get("location")).toBe("/admin/account?flash=role");
    expect(await roleOf(userId, dept)).toBe("viewer");
  });

  it("refuses an unknown role with nothing changed", async () => {
    const { dept, s } = await freshDept();
    const other = await seedPasswordUser(dept, `h-${uid()}@x.gov.cn`, PASSWORD, "handler");
    const res = await adminPost(`/admin/users/${other}/role`, s, { role: "root" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Role must be");
    expect(await roleOf(other, dept)).toBe("handler");
  });

  it("resets a password: a new one-time password, and every session of the user ends", async () => {
    const { dept, userId, s } = await freshDept();
    const email = `r-${uid()}@x.gov.cn`;
    const other = await seedPasswordUser(dept, email, PASSWORD, "handler");
    const theirs = await signIn(email, PASSWORD);
    expect((await adminGet("/admin/cases", theirs)).status).toBe(200);
    const res = await adminPost(`/admin/users/${other}/reset-password`, s, {});
    expect(res.status).toBe(200);
    const password = oneTimePassword(await res.text());
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await adminGet("/admin/cases", theirs)).status).toBe(303);
    expect((await signIn(email, PASSWORD)).res.status).toBe(401);
    const fresh = await signIn(email, password);
    expect(fresh.res.headers.get("location")).toBe("/admin/password");
    expect((await userByEmail(email))?.must_change_password).toBe(1);
    expect(await lastAudit("user.reset_password")).toMatchObject({ result: "ok", target: email });
    // Resetting your own password here is refused: that is what the password page is for.
    const self = await adminPost(`/admin/users/${userId}/reset-password`, s, {});
    expect(self.status).toBe(403);
  });

  it("removes a member from the department: the user loses access there", async () => {
    const { dept, s } = await freshDept();
    const email = `rm-${uid()}@x.gov.cn`;
    const other = await seedPasswordUser(dept, email, PASSWORD, "handler");
    const theirs = await signIn(email, PASSWORD);
    const res = await adminPost(`/admin/users/${other}/remove`, s, {});
    expect(res.status).toBe(303);
    expect(await roleOf(other, dept)).toBeUndefined();
    expect(await userByEmail(email)).not.toBeNull();
    expect((await adminGet("/admin/cases", theirs)).status).toBe(403);
    expect(await lastAudit("user.remove")).toMatchObject({ result: "ok", target: email, dept_id: dept });
    expect((await adminPost(`/admin/users/${other}/remove`, s, {})).status).toBe(404);
  });

  it("disables an account (it cannot sign in, its sessions end) and enables it again", async () => {
    const { dept, s } = await freshDept();
    const email = `d-${uid()}@x.gov.cn`;
    const other = await seedPasswordUser(dept, email, PASSWORD, "handler");
    const theirs = await signIn(email, PASSWORD);
    const res = await adminPost(`/admin/users/${other}/disable`, s, {});
    expect(res.status).toBe(303);
    expect((await userByEmail(email))?.disabled_at).toBeGreaterThan(0);
    expect((await adminGet("/admin/cases", theirs)).status).toBe(303);
    expect((await signIn(email, PASSWORD)).res.status).toBe(401);
    expect(await (await adminGet("/admin/users", s)).text()).toContain("已停用");
    expect(await lastAudit("user.disable")).toMatchObject({ result: "ok", target: email });
    const enable = await adminPost(`/admin/users/${other}/enable`, s, {});
    expect(enable.status).toBe(303);
    expect((await userByEmail(email))?.disabled_at).toBeNull();
    expect((await signIn(email, PASSWORD)).res.status).toBe(303);
    expect(await lastAudit("user.enable")).toMatchObject({ result: "ok", target: email });
  });

  it("never disables the admin's own account", async () => {
    const { userId, s } = await freshDept();
    const res = await adminPost(`/admin/users/${userId}/disable`, s, {});
    expect(res.status).toBe(403);
    expect(
      (await env.DB.prepare("SELECT disabled_at FROM users WHERE id = ?").bind(userId).first())?.disabled_at,
    ).toBeNull();
    expect(await lastAudit("user.disable")).toMatchObject({ result: "denied" });
  });

  it("lets only a system admin reset or disable a user who also belongs to another department", async () => {
    const a = await freshDept();
    const b = await freshDept();
    const email = `shared-${uid()}@x.gov.cn`;
    const shared = await seedPasswordUser(a.dept, email, PASSWORD, "handler");
    await seedPasswordUser(b.dept, email, PASSWORD, "handler");
    const page = await (await adminGet("/admin/users", a.s)).text();
    expect(page).toContain("只有系统管理员可以重置其密码或停用其账户");
    for (const action of ["disable", "reset-password"]) {
      const res = await adminPost(`/admin/users/${shared}/${action}`, a.s, {});
      expect(res.status).toBe(403);
    }
    expect((await userByEmail(email))?.disabled_at).toBeNull();
    expect((await signIn(email, PASSWORD)).res.status).toBe(303);
    expect(await lastAudit("user.disable")).toMatchObject({ result: "denied", target: email });
    // A system admin working in department A may.
    const rootEmail = `root-${uid()}@x.gov.cn`;
    await seedPasswordUser(null, rootEmail, PASSWORD, "admin", true);
    const root = await signIn(rootEmail, PASSWORD);
    expect((await adminPost("/admin/switch-dept", root, { dept: a.dept })).status).toBe(303);
    expect((await adminPost(`/admin/users/${shared}/disable`, root, {})).status).toBe(303);
    expect((await userByEmail(email))?.disabled_at).toBeGreaterThan(0);
  });

  it("refuses to disable a department's last admin, even for a system admin", async () => {
    const a = await freshDept();
    const rootEmail = `root-${uid()}@x.gov.cn`;
    await seedPasswordUser(null, rootEmail, PASSWORD, "admin", true);
    const root = await signIn(rootEmail, PASSWORD);
    await adminPost("/admin/switch-dept", root, { dept: a.dept });
    const res = await adminPost(`/admin/users/${a.userId}/disable`, root, {});
    expect(res.status).toBe(409);
    expect((await userByEmail(a.email))?.disabled_at).toBeNull();
  });
});

describe("who may manage users", () => {
  it("gives a handler 403 on the page and on every form, and audits the refusal", async () => {
    const { dept, s } = await freshDept("handler");
    const victim = await seedPasswordUser(dept, `v-${uid()}@x.gov.cn`, PASSWORD, "viewer");
    expect((await adminGet("/admin/users", s)).status).toBe(403);
    const users = await countRows("users");
    expect(
      (await adminPost("/admin/users", s, { email: `n-${uid()}@x.gov.cn`, name: "x", role: "admin" })).status,
    ).toBe(403);
    expect((await adminPost(`/admin/users/${victim}/role`, s, { role: "admin" })).status).toBe(403);
    expect((await adminPost(`/admin/users/${victim}/disable`, s, {})).status).toBe(403);
    expect((await adminPost(`/admin/users/${victim}/remove`, s, {})).status).toBe(403);
    expect(await countRows("users")).toBe(users);
    expect(await roleOf(victim, dept)).toBe("viewer");
    expect(await lastAudit("user.remove")).toMatchObject({ result: "denied", dept_id: dept });
  });

  it("keeps an admin of department B away from department A's users", async () => {
    const a = await freshDept();
    const b = await freshDept();
    const aEmail = `a-only-${uid()}@x.gov.cn`;
    const aUser = await seedPasswordUser(a.dept, aEmail, PASSWORD, "handler");
    const page = await (await adminGet("/admin/users", b.s)).text();
    expect(page).not.toContain(aEmail);
    expect(page).not.toContain(a.email);
    for (const [path, fields] of [
      [`/admin/users/${aUser}/role`, { role: "viewer" }],
      [`/admin/users/${aUser}/remove`, {}],
      [`/admin/users/${aUser}/disable`, {}],
      [`/admin/users/${aUser}/reset-password`, {}],
    ] as const) {
      const res = await adminPost(path, b.s, fields);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain(aEmail);
    }
    expect(await roleOf(aUser, a.dept)).toBe("handler");
    expect((await userByEmail(aEmail))?.disabled_at).toBeNull();
    expect((await signIn(aEmail, PASSWORD)).res.status).toBe(303);
    // Nor can B's admin switch into A.
    expect((await adminPost("/admin/switch-dept", b.s, { dept: a.dept })).status).toBe(403);
  });

  it("refuses a form without the CSRF token", async () => {
    const { dept, s } = await freshDept();
    const other = await seedPasswordUser(dept, `c-${uid()}@x.gov.cn`, PASSWORD, "handler");
    const res = await adminPost(
      `/admin/users/${other}/role`,
      { cookie: s.cookie, csrf: "" },
      { role: "admin" },
    );
    expect(res.status).toBe(403);
    expect(await roleOf(other, dept)).toBe("handler");
  });
});
