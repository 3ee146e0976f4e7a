import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  adminGet,
  adminPost,
  call,
  countRows,
  devEnv,
  seedDept,
  seedPasswordUser,
  signIn,
} from "../../test/helpers.ts";
import {
  checkChannelTarget,
  isPrivateHost,
  maskSecret,
  maskTarget,
  normalizeOrigin,
  parseOrigins,
} from "./settings.pages.tsx";

const PASSWORD = "correct horse battery";
const uid = () => crypto.randomUUID().slice(0, 8);

async function freshDept(role: "admin" | "handler" | "viewer" | "appraiser" = "admin") {
  const slug = `s-${uid()}`;
  const dept = await seedDept(slug, `设置局 ${slug}`);
  const email = `${role}-${uid()}@${slug}.gov.cn`;
  const userId = await seedPasswordUser(dept, email, PASSWORD, role);
  const s = await signIn(email, PASSWORD);
  return { dept, slug, email, userId, s };
}

async function deptRow(id: string) {
  const row = await env.DB.prepare("SELECT * FROM departments WHERE id = ?").bind(id).first<{
    name: string;
    slug: string;
    parent_id: string | null;
    allowed_origins: string;
    settings: string;
  }>();
  return row
    ? {
        ...row,
        origins: JSON.parse(row.allowed_origins) as string[],
        settings: JSON.parse(row.settings) as Record<string, unknown> & {
          channels?: { type: string; target: string; secret?: string }[];
        },
      }
    : null;
}

async function lastAudit(action: string) {
  return env.DB.prepare(
    "SELECT dept_id, target, result, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
  )
    .bind(action)
    .first<{ dept_id: string; target: string; result: string; detail: string | null }>();
}

describe("embedding origins, channel targets and masks", () => {
  it.each([
    ["https://www.example.gov.cn", "https://www.example.gov.cn"],
    ["  HTTPS://WWW.Example.gov.cn/ ", "https://www.example.gov.cn"],
    ["https://*.example.gov.cn", "https://*.example.gov.cn"],
    ["http://localhost:*", "http://localhost:*"],
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["https://xn--fiqs8s.cn", "https://xn--fiqs8s.cn"],
    ["https://a.gov.cn:65535", "https://a.gov.cn:65535"],
    ["https://a.gov.cn:65536", null],
    ["https://a.gov.cn:0", null],
    ["ftp://a.gov.cn", null],
    ["https://a.gov.cn/path", null],
    ["https://a.gov.cn; script-src *", null],
    ["https://a.gov.cn 'unsafe-inline'", null],
    ["https://*", null],
    ["*", null],
    ["https://a.*.gov.cn", null],
    ["https://-a.gov.cn", null],
    ["https://user@a.gov.cn", null],
    ["www.example.gov.cn", null],
  ])("normalizeOrigin(%j) = %j", (raw, expected) => {
    expect(normalizeOrigin(raw)).toBe(expected);
  });

  it("parses one origin a line, drops blanks and duplicates, names the bad line", () => {
    expect(parseOrigins("https://a.gov.cn\r\n\nhttps://A.gov.cn/\nhttp://localhost:*\n")).toEqual({
      ok: true,
      origins: ["https://a.gov.cn", "http://localhost:*"],
    });
    const bad = parseOrigins("https://a.gov.cn\njavascript:alert(1)");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain("第 2 行");
    const many = Array.from({ length: 21 }, (_, i) => `https://s${i}.gov.cn`).join("\n");
    expect(parseOrigins(many).ok).toBe(false);
  });

  it.each([
    ["localhost", true],
    ["api.localhost", true],
    ["127.0.0.1", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.32.0.1", false],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["[::1]", true],
    ["[fd00::1]", true],
    ["[fe80::1]", true],
    ["[::ffff:127.0.0.1]", true],
    ["printer.local", true],
    ["qyapi.weixin.qq.com", false],
    ["8.8.8.8", false],
  ])("isPrivateHost(%j) = %j", (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected);
  });

  it("accepts channel targets by type, and refuses private or plain-http ones in production", () => {
    expect(checkChannelTarget("email", "Duty@Example.gov.cn", true)).toEqual({
      ok: true,
      target: "duty@example.gov.cn",
    });
    expect(checkChannelTarget("email", "not an address", true).ok).toBe(false);
    expect(
      checkChannelTarget("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", true).ok,
    ).toBe(true);
    expect(checkChannelTarget("webhook", "http://receiver.example/hook", true).ok).toBe(false);
    expect(checkChannelTarget("webhook", "http://127.0.0.1:9999/hook", false).ok).toBe(true);
    expect(checkChannelTarget("webhook", "https://10.0.0.5/hook", true).ok).toBe(false);
    // 2130706433 is 127.0.0.1 written as one number: the URL parser normalises it first.
    expect(checkChannelTarget("webhook", "https://2130706433/hook", true).ok).toBe(false);
    expect(checkChannelTarget("webhook", "https://user:pw@hooks.example/x", true).ok).toBe(false);
    expect(checkChannelTarget("feishu", "javascript:alert(1)", false).ok).toBe(false);
  });

  it("masks a target's key and path and a secret but its last four characters", () => {
    const wecom = {
      type: "wecom" as const,
      target: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY1234",
    };
    expect(maskTarget(wecom)).toBe("https://qyapi.weixin.qq.com/…1234");
    expect(maskTarget(wecom)).not.toContain("SECRETKEY");
    expect(maskTarget({ type: "email", target: "duty@example.gov.cn" })).toBe("d***@example.gov.cn");
    expect(maskSecret("whsec_abcdefghijklmnop")).toBe("已设置（••••mnop）");
    expect(maskSecret("short")).toBe("已设置（••••）");
    expect(maskSecret(undefined)).toBe("未设置");
  });
});

describe("GET /admin/settings", () => {
  it("shows the department's settings with the default norms, uncached and unframable", async () => {
    const { s, slug } = await freshDept();
    const res = await adminGet("/admin/settings", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain(slug);
    expect(html).toContain('name="replyDays" type="number" min="1" max="60" required="" value="10"');
    expect(html).toContain('value="3"');
    expect(html).toContain("http://localhost:*");
    expect(html).not.toContain("新建部门（系统管理员）");
  });

  it.each(["handler", "viewer", "appraiser"] as const)("gives a %s 403, audited", async (role) => {
    const { dept, s } = await freshDept(role);
    const res = await adminGet("/admin/settings", s);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("没有权限");
    expect(await lastAudit("settings.view")).toMatchObject({ dept_id: dept, result: "denied" });
    const before = await deptRow(dept);
    expect((await adminPost("/admin/settings/name", s, { name: "改名" })).status).toBe(403);
    expect(
      (await adminPost("/admin/settings/norms", s, { replyDays: "5", correctionDays: "2" })).status,
    ).toBe(403);
    expect((await deptRow(dept))?.name).toBe(before?.name);
    expect(await lastAudit("dept.norms")).toMatchObject({ dept_id: dept, result: "denied" });
  });
});

describe("POST /admin/settings", () => {
  it("renames the department and shows a user-entered name escaped", async () => {
    const { dept, s } = await freshDept();
    const res = await adminPost("/admin/settings/name", s, { name: "<script>alert(1)</script>" });
    expect(res.status).toBe(303);
    expect((await deptRow(dept))?.name).toBe("<script>alert(1)</script>");
    expect(await lastAudit("dept.rename")).toMatchObject({ dept_id: dept, result: "ok" });
    const html = await (await adminGet("/admin/settings", s)).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    const empty = await adminPost("/admin/settings/name", s, { name: "  " });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("名称：此项为必填项");
    expect((await deptRow(dept))?.name).toBe("<script>alert(1)</script>");
  });

  it("saves the embedding origins, which the widget then allows as frame ancestors", async () => {
    const { dept, slug, s } = await freshDept();
    const res = await adminPost("/admin/settings/origins", s, {
      origins: "https://www.Example.gov.cn/\r\nhttps://*.example.gov.cn\r\n\r\nhttps://www.example.gov.cn",
    });
    expect(res.status).toBe(303);
    expect((await deptRow(dept))?.origins).toEqual([
      "https://www.example.gov.cn",
      "https://*.example.gov.cn",
    ]);
    expect(JSON.parse((await lastAudit("dept.origins"))!.detail!)).toEqual({
      origins: ["https://www.example.gov.cn", "https://*.example.gov.cn"],
    });
    const widget = await call(`/w/${slug}/opinion`);
    expect(widget.headers.get("content-security-policy")).toContain(
      "frame-ancestors https://www.example.gov.cn https://*.example.gov.cn",
    );
  });

  it("refuses an origin that is not one, in Chinese and English, and keeps the old list", async () => {
    const { dept, s } = await freshDept();
    const before = (await deptRow(dept))?.origins;
    const res = await adminPost("/admin/settings/origins", s, {
      origins: "https://ok.gov.cn\nhttps://evil.example; script-src *",
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("第 2 行");
    expect(html).toContain("is not an origin");
    // The bad text is kept in the box to be corrected (escaped).
    expect(html).toContain("https://evil.example; script-src *");
    expect((await deptRow(dept))?.origins).toEqual(before);
    expect(await lastAudit("dept.origins")).toMatchObject({ result: "failed" });
  });

  it("saves the reply norms (1–60 working days) without touching other settings", async () => {
    const { dept, s } = await freshDept();
    await adminPost("/admin/settings/channels", s, { type: "email", target: "duty@example.gov.cn" });
    const res = await adminPost("/admin/settings/norms", s, { replyDays: "15", correctionDays: " 5 " });
    expect(res.status).toBe(303);
    const row = await deptRow(dept);
    expect(row?.settings).toMatchObject({ replyDays: 15, correctionDays: 5 });
    expect(row?.settings.channels).toHaveLength(1);
    expect(await lastAudit("dept.norms")).toMatchObject({ result: "ok" });
    expect(await (await adminGet("/admin/settings", s)).text()).toContain('value="15"');
  });

  it.each([
    [{ replyDays: "0", correctionDays: "3" }, "意见答复时限：应为 1 到 60 的整数"],
    [{ replyDays: "61", correctionDays: "3" }, "Must be a whole number from 1 to 60"],
    [{ replyDays: "10", correctionDays: "2.5" }, "纠错答复时限"],
    [{ replyDays: "abc", correctionDays: "3" }, "意见答复时限"],
    [{ replyDays: "10" }, "纠错答复时限"],
    [{ replyDays: "10", correctionDays: "3", publish: "1" }, "表单中没有此项"],
  ])("refuses norms %o with nothing written", async (fields, message) => {
    const { dept, s } = await freshDept();
    const before = (await deptRow(dept))?.settings;
    const res = await adminPost("/admin/settings/norms", s, fields as Record<string, string>);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
    expect((await deptRow(dept))?.settings).toEqual(before);
  });

  it("adds notification channels, stores the secret, shows both masked, and deletes one", async () => {
    const { dept, s } = await freshDept();
    const hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ROBOTKEY-0000-wxyz";
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    expect(
      (await adminPost("/admin/settings/channels", s, { type: "wecom", target: hook, secret })).status,
    ).toBe(303);
    expect(
      (await adminPost("/admin/settings/channels", s, { type: "email", target: "Duty@Example.gov.cn" }))
        .status,
    ).toBe(303);
    const stored = (await deptRow(dept))?.settings.channels;
    expect(stored).toEqual([
      { type: "wecom", target: hook, secret },
      { type: "email", target: "duty@example.gov.cn" },
    ]);
    const html = await (await adminGet("/admin/settings", s)).text();
    expect(html).not.toContain(secret);
    expect(html).not.toContain("ROBOTKEY");
    expect(html).not.toContain("duty@example.gov.cn");
    expect(html).toContain("https://qyapi.weixin.qq.com/…wxyz");
    expect(html).toContain("••••LaSw");
    const log = await lastAudit("dept.channel_add");
    expect(log?.result).toBe("ok");
    const all = await env.DB.prepare("SELECT detail FROM audit_log WHERE dept_id = ?").bind(dept).all();
    expect(JSON.stringify(all.results)).not.toContain("ROBOTKEY");
    expect(JSON.stringify(all.results)).not.toContain(secret);

    const dup = await adminPost("/admin/settings/channels", s, { type: "wecom", target: hook });
    expect(dup.status).toBe(400);
    expect(await dup.text()).toContain("已存在");

    const handle = /\/admin\/settings\/channels\/([0-9a-f]{16})\/delete/.exec(html)?.[1];
    expect(handle).toBeTruthy();
    expect((await adminPost(`/admin/settings/channels/${handle}/delete`, s, {})).status).toBe(303);
    expect((await deptRow(dept))?.settings.channels).toEqual([
      { type: "email", target: "duty@example.gov.cn" },
    ]);
    expect(await lastAudit("dept.channel_remove")).toMatchObject({ result: "ok" });
    expect((await adminPost(`/admin/settings/channels/${handle}/delete`, s, {})).status).toBe(404);
  });

  it("refuses a bad channel with nothing written, and private targets in production", async () => {
    const { dept, s } = await freshDept();
    const cases: [Record<string, string>, string][] = [
      [{ type: "sms", target: "13800138000" }, "渠道类型"],
      [{ type: "webhook", target: "ftp://files.example/x" }, "https://"],
      [{ type: "email", target: "nobody" }, "请填写正确的电子邮箱"],
      [{ type: "webhook", target: "https://hooks.example/x", secret: "has space" }, "签名密钥"],
    ];
    for (const [fields, message] of cases) {
      const res = await adminPost("/admin/settings/channels", s, fields);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(message);
    }
    const production = { ...devEnv(), ENVIRONMENT: "production" };
    const internal = await adminPost(
      "/admin/settings/channels",
      s,
      { type: "webhook", target: "https://192.168.1.10/hook" },
      production,
    );
    expect(internal.status).toBe(400);
    expect(await internal.text()).toContain("内网");
    expect((await deptRow(dept))?.settings.channels ?? []).toEqual([]);
    expect(await lastAudit("dept.channel_add")).toMatchObject({ result: "failed" });
  });

  it("creates a sub-unit with the built-in forms, makes the creator its admin, and lists the tree", async () => {
    const { dept, userId, s } = await freshDept();
    const slug = `unit-${uid()}`;
    const res = await adminPost("/admin/settings/units", s, { slug, name: "办公室" });
    expect(res.status).toBe(303);
    const unit = await env.DB.prepare("SELECT id, parent_id, allowed_origins FROM departments WHERE slug = ?")
      .bind(slug)
      .first<{ id: string; parent_id: string; allowed_origins: string }>();
    expect(unit?.parent_id).toBe(dept);
    expect(JSON.parse(unit!.allowed_origins)).toEqual((await deptRow(dept))?.origins);
    const forms = await env.DB.prepare("SELECT slug, status FROM forms WHERE dept_id = ? ORDER BY slug")
      .bind(unit!.id)
      .all();
    expect(forms.results.map((f) => f.slug)).toEqual(["disclosure", "opinion", "satisfaction"]);
    const role = await env.DB.prepare("SELECT role FROM memberships WHERE user_id = ? AND dept_id = ?")
      .bind(userId, unit!.id)
      .first<{ role: string }>();
    expect(role?.role).toBe("admin");
    expect(await lastAudit("dept.unit_create")).toMatchObject({ dept_id: dept, target: slug, result: "ok" });
    // A unit of the unit, then the tree as nested lists.
    await adminPost("/admin/switch-dept", s, { dept: unit!.id });
    const sub = `sub-${uid()}`;
    expect((await adminPost("/admin/settings/units", s, { slug: sub, name: "文书科" })).status).toBe(303);
    await adminPost("/admin/switch-dept", s, { dept });
    const html = await (await adminGet("/admin/settings", s)).text();
    expect(html).toMatch(
      new RegExp(`办公室 <code class="muted">${slug}</code><ul><li>文书科 <code class="muted">${sub}</code>`),
    );
    // The public widget of the new unit answers.
    expect((await call(`/w/${slug}/opinion`)).status).toBe(200);
  });

  it("refuses a taken or malformed slug with nothing written", async () => {
    const { slug: taken, s } = await freshDept();
    const before = await countRows("departments");
    const dup = await adminPost("/admin/settings/units", s, { slug: taken, name: "重名" });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain("已被使用");
    const bad = await adminPost("/admin/settings/units", s, { slug: "Bad Slug!", name: "x" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Use a-z, 0-9 and -");
    expect(await countRows("departments")).toBe(before);
  });

  it("lets only a system admin create a top-level department", async () => {
    const { s } = await freshDept();
    const before = await countRows("departments");
    const denied = await adminPost("/admin/departments", s, { slug: `top-${uid()}`, name: "新局" });
    expect(denied.status).toBe(403);
    expect(await countRows("departments")).toBe(before);
    expect(await lastAudit("dept.create")).toMatchObject({ result: "denied" });

    const rootEmail = `root-${uid()}@x.gov.cn`;
    await seedPasswordUser(null, rootEmail, PASSWORD, "admin", true);
    const root = await signIn(rootEmail, PASSWORD);
    const { dept } = await freshDept();
    await adminPost("/admin/switch-dept", root, { dept });
    expect(await (await adminGet("/admin/settings", root)).text()).toContain("新建部门（系统管理员）");
    const slug = `top-${uid()}`;
    const res = await adminPost("/admin/departments", root, { slug, name: "新建的局" });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare("SELECT id, parent_id FROM departments WHERE slug = ?")
      .bind(slug)
      .first<{ id: string; parent_id: string | null }>();
    expect(row?.parent_id).toBeNull();
    expect((await countRows("departments")) - before).toBe(2);
    expect(await lastAudit("dept.create")).toMatchObject({ dept_id: row!.id, result: "ok", target: slug });
  });

  it("keeps an admin of department B away from department A's settings", async () => {
    const a = await freshDept();
    const b = await freshDept();
    const aBefore = await deptRow(a.dept);
    const page = await (await adminGet("/admin/settings", b.s)).text();
    expect(page).not.toContain(a.slug);
    await adminPost("/admin/settings/name", b.s, { name: "B 的新名字" });
    await adminPost("/admin/settings/norms", b.s, { replyDays: "20", correctionDays: "7" });
    await adminPost("/admin/settings/origins", b.s, { origins: "https://b.gov.cn" });
    expect(await deptRow(a.dept)).toEqual(aBefore);
    expect((await deptRow(b.dept))?.name).toBe("B 的新名字");
    // B cannot make A its working department, so nothing above can reach A.
    expect((await adminPost("/admin/switch-dept", b.s, { dept: a.dept })).status).toBe(403);
  });
});

describe("reply templates", () => {
  it("lets a handler create, edit and delete the department's templates, which the case page offers", async () => {
    const { dept, s } = await freshDept("handler");
    expect((await adminGet("/admin/templates", s)).status).toBe(200);
    const created = await adminPost("/admin/templates", s, {
      title: "<script>alert(1)</script>",
      body: "您好：\r\n您反映的问题已转有关科室办理。",
    });
    expect(created.status).toBe(303);
    const row = await env.DB.prepare("SELECT id, body, created_by FROM reply_templates WHERE dept_id = ?")
      .bind(dept)
      .first<{ id: string; body: string; created_by: string }>();
    expect(row?.body).toBe("您好：\r\n您反映的问题已转有关科室办理。");
    expect(await lastAudit("template.create")).toMatchObject({
      dept_id: dept,
      target: row!.id,
      result: "ok",
    });
    const list = await (await adminGet("/admin/templates", s)).text();
    expect(list).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(list).not.toContain("<script>alert(1)</script>");
    const edit = await adminGet(`/admin/templates/${row!.id}`, s);
    expect(edit.status).toBe(200);
    expect(await edit.text()).toContain("&lt;script&gt;");
    expect(
      (await adminPost(`/admin/templates/${row!.id}`, s, { title: "已转办", body: "已转办。" })).status,
    ).toBe(303);
    expect(
      await env.DB.prepare("SELECT title, body FROM reply_templates WHERE id = ?").bind(row!.id).first(),
    ).toEqual({ title: "已转办", body: "已转办。" });
    expect(await lastAudit("template.update")).toMatchObject({ result: "ok" });
    expect((await adminPost(`/admin/templates/${row!.id}/delete`, s, {})).status).toBe(303);
    expect(
      await env.DB.prepare("SELECT id FROM reply_templates WHERE id = ?").bind(row!.id).first(),
    ).toBeNull();
    expect(await lastAudit("template.delete")).toMatchObject({ result: "ok", target: row!.id });
  });

  it("refuses an empty title or an unknown field with nothing written", async () => {
    const { s } = await freshDept();
    const before = await countRows("reply_templates");
    const empty = await adminPost("/admin/templates", s, { title: "", body: "正文" });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("模板标题：此项为必填项");
    const extra = await adminPost("/admin/templates", s, { title: "t", body: "b", deptId: "other" });
    expect(extra.status).toBe(400);
    expect(await countRows("reply_templates")).toBe(before);
    expect(await lastAudit("template.create")).toMatchObject({ result: "failed" });
  });

  it("gives a viewer 403", async () => {
    const { s } = await freshDept("viewer");
    expect((await adminGet("/admin/templates", s)).status).toBe(403);
    expect((await adminPost("/admin/templates", s, { title: "t", body: "b" })).status).toBe(403);
  });

  it("keeps department B's staff away from department A's templates", async () => {
    const a = await freshDept();
    const b = await freshDept();
    await adminPost("/admin/templates", a.s, { title: "A 部门专用模板", body: "A 的正文" });
    const t = await env.DB.prepare("SELECT id FROM reply_templates WHERE dept_id = ?")
      .bind(a.dept)
      .first<{ id: string }>();
    expect(await (await adminGet("/admin/templates", b.s)).text()).not.toContain("A 部门专用模板");
    const view = await adminGet(`/admin/templates/${t!.id}`, b.s);
    expect(view.status).toBe(404);
    expect(await view.text()).not.toContain("A 的正文");
    expect((await adminPost(`/admin/templates/${t!.id}`, b.s, { title: "改", body: "改" })).status).toBe(404);
    expect((await adminPost(`/admin/templates/${t!.id}/delete`, b.s, {})).status).toBe(404);
    expect(
      await env.DB.prepare("SELECT title FROM reply_templates WHERE id = ?").bind(t!.id).first(),
    ).toEqual({ title: "A 部门专用模板" });
  });
});
