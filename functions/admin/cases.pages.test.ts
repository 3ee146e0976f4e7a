import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import {
  adminGet,
  adminPost,
  seedDept,
  seedPasswordUser,
  seedStaff,
  signIn,
  submitOpinion,
  validOpinion,
} from "../../test/helpers.ts";

const PW = "handler passphrase 1";

async function auditCount(action: string, result = "ok") {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = ? AND result = ?")
    .bind(action, result)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("admin case pages", () => {
  let dept: string;
  let session: { cookie: string; csrf: string };
  let code: string;

  beforeAll(async () => {
    dept = await seedDept();
    await seedPasswordUser(dept, "handler@cases.gov.cn", PW, "handler");
    session = await signIn("handler@cases.gov.cn", PW);
    const { body } = await submitOpinion(
      validOpinion({
        subject: "医保报销窗口排队太久",
        body: "市民服务中心医保报销窗口每天只开两个，排队要两个小时。",
        name: "李四",
        contact: "13900139000",
        publish: true,
      }),
    );
    code = body.trackingCode!;
    await submitOpinion(validOpinion({ subject: "图书馆开放时间", body: "建议图书馆周一也开放。" }));
  });

  it("shows the dashboard counts and the inbox with the new case", async () => {
    const dash = await adminGet("/admin", session);
    const html = await dash.text();
    expect(dash.status).toBe(200);
    expect(html).toContain("新来信（未分派）");
    const inbox = await (await adminGet("/admin/cases", session)).text();
    expect(inbox).toContain("医保报销窗口排队太久");
    expect(inbox).toContain("图书馆开放时间");
  });

  it.each([
    ["服务中心", true, false], // three or more characters: the trigram index
    ["医保", true, false], // two characters: the LIKE fallback
    ["图书馆", false, true],
    ["周一也开放", false, true],
    ["不存在的内容", false, false],
  ])("searches %s in Chinese text", async (q, first, second) => {
    const html = await (await adminGet(`/admin/cases?q=${encodeURIComponent(q)}`, session)).text();
    expect(html.includes("医保报销窗口排队太久")).toBe(first);
    expect(html.includes("图书馆开放时间")).toBe(second);
  });

  it("finds a case by its tracking code, typed with dashes and in lower case", async () => {
    const typed = `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`.toLowerCase();
    const html = await (await adminGet(`/admin/cases?q=${typed}`, session)).text();
    expect(html).toContain("医保报销窗口排队太久");
    expect(html).not.toContain("图书馆开放时间");
  });

  it("offers the same search in the API", async () => {
    const staff = await seedStaff(dept, "api-search@cases.gov.cn", "viewer");
    const { call } = await import("../../test/helpers.ts");
    const res = await call(`/api/v1/admin/cases?q=${encodeURIComponent("报销窗口")}`, {
      headers: staff.auth,
    });
    const body = (await res.json()) as { items: { subject: string }[] };
    expect(body.items.map((i) => i.subject)).toEqual(["医保报销窗口排队太久"]);
  });

  it("masks personal data on the case page and reveals it only with a reason, audited", async () => {
    const page = await (await adminGet(`/admin/cases/${code}`, session)).text();
    expect(page).toContain("139****9000");
    expect(page).not.toContain("13900139000");
    expect(page).not.toContain("李四");
    const before = await auditCount("case.reveal");
    const noReason = await adminPost(`/admin/cases/${code}/reveal`, session, { reason: " " });
    expect(noReason.status).toBe(400);
    expect(await auditCount("case.reveal")).toBe(before);
    const revealed = await adminPost(`/admin/cases/${code}/reveal`, session, { reason: "电话回访来信人" });
    const html = await revealed.text();
    expect(html).toContain("13900139000");
    expect(html).toContain("李四");
    expect(await auditCount("case.reveal")).toBe(before + 1);
  });

  it("assigns, replies with a template, publishes and closes from the page", async () => {
    await env.DB.prepare(
      "INSERT INTO reply_templates (id, dept_id, title, body, created_at) VALUES ('t1', ?, '已转办', '您反映的问题已转相关科室办理。', 1)",
    )
      .bind(dept)
      .run();
    const assigned = await adminPost(`/admin/cases/${code}/events`, session, {
      type: "assigned",
      assignee: "handler@cases.gov.cn",
    });
    expect(assigned.status).toBe(303);
    const withTemplate = await (await adminGet(`/admin/cases/${code}?template=t1`, session)).text();
    expect(withTemplate).toContain("您反映的问题已转相关科室办理。");
    const replied = await adminPost(`/admin/cases/${code}/events`, session, {
      type: "replied",
      text: "已增开两个窗口。",
    });
    expect(replied.status).toBe(303);
    const published = await adminPost(`/admin/cases/${code}/events`, session, { type: "published" });
    expect(published.status).toBe(303);
    const closed = await adminPost(`/admin/cases/${code}/events`, session, { type: "closed" });
    expect(closed.status).toBe(303);
    const again = await adminPost(`/admin/cases/${code}/events`, session, { type: "closed" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("答复来信人之后才能办结");
    const row = await env.DB.prepare("SELECT state, published FROM cases WHERE tracking_code = ?")
      .bind(code)
      .first();
    expect(row).toEqual({ state: "closed", published: 1 });
    for (const action of ["case.assigned", "case.replied", "case.published", "case.closed"]) {
      expect(await auditCount(action)).toBeGreaterThanOrEqual(1);
    }
    expect(await auditCount("case.closed", "failed")).toBeGreaterThanOrEqual(1);
  });
});
