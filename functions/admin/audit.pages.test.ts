import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminGet, adminPost, db, seedDept, seedPasswordUser, signIn } from "../../test/helpers.ts";
import { auditCsvChunks, decodeAuditCursor, encodeAuditCursor, PAGE_SIZE } from "./audit.pages.tsx";

const PASSWORD = "correct horse battery";
const uid = () => crypto.randomUUID().slice(0, 8);
const DAY = 86_400_000;

async function freshDept(role: "admin" | "handler" | "viewer" = "admin") {
  const slug = `au-${uid()}`;
  const dept = await seedDept(slug, `审计局 ${slug}`);
  const email = `${role}-${uid()}@${slug}.gov.cn`;
  const userId = await seedPasswordUser(dept, email, PASSWORD, role);
  const s = await signIn(email, PASSWORD);
  return { dept, slug, email, userId, s };
}

/** `n` entries of `action` for a department, one a minute back from `start`, in one statement. */
async function insertEntries(
  dept: string,
  n: number,
  o: { action?: string; target?: string; start?: number; actorId?: string | null; result?: string } = {},
) {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     INSERT INTO audit_log (dept_id, actor_id, action, target, result, ip, request_id, detail, created_at)
     SELECT ?, ?, ?, ? || i, ?, '203.0.113.77', 'req-' || i, '{"n":' || i || '}', ? - i * 60000 FROM seq`,
  )
    .bind(
      n,
      dept,
      o.actorId ?? null,
      o.action ?? "test.bulk",
      o.target ?? "t-",
      o.result ?? "ok",
      o.start ?? Date.now(),
    )
    .run();
}

const rowsOf = (html: string) =>
  html.match(/<tr><td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}<\/td>/g)?.length ?? 0;

describe("audit cursors", () => {
  it("round-trips and refuses anything else", () => {
    const c = { at: 1_735_689_600_000, id: 12345 };
    expect(decodeAuditCursor(encodeAuditCursor(c))).toEqual(c);
    expect(decodeAuditCursor("")).toBeUndefined();
    expect(decodeAuditCursor("%%%")).toBeUndefined();
    expect(decodeAuditCursor(btoa("1.abc"))).toBeUndefined();
    expect(decodeAuditCursor(btoa("1.2 OR 1=1"))).toBeUndefined();
  });
});

describe("GET /admin/audit", () => {
  it("shows the department's entries newest first, with masked addresses, uncached and unframable", async () => {
    const { dept, email, s } = await freshDept();
    await adminPost("/admin/settings/norms", s, { replyDays: "12", correctionDays: "4" });
    await adminPost("/admin/settings/name", s, { name: "新名字" });
    const res = await adminGet("/admin/audit", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain(email);
    expect(html.indexOf("修改部门名称")).toBeGreaterThan(-1);
    expect(html.indexOf("修改部门名称")).toBeLessThan(html.indexOf("修改答复时限"));
    expect(html).toContain("&quot;replyDays&quot;:12");
    await insertEntries(dept, 1, { action: "test.ip" });
    const again = await (await adminGet("/admin/audit?action=test.ip", s)).text();
    expect(again).toContain("203.0.113.*");
    expect(again).not.toContain("203.0.113.77");
  });

  it("filters by action prefix, actor e-mail, result and date range", async () => {
    const { dept, email, userId, s } = await freshDept();
    const now = Date.now();
    await insertEntries(dept, 3, { action: "alpha.one", actorId: userId, start: now });
    await insertEntries(dept, 2, { action: "alpha.two", result: "denied", start: now });
    await insertEntries(dept, 4, { action: "beta.one", start: now - 10 * DAY });
    const count = async (q: string) => rowsOf(await (await adminGet(`/admin/audit?${q}`, s)).text());
    expect(await count("action=alpha.")).toBe(5);
    expect(await count("action=alpha.t")).toBe(2);
    // `_` is a character here, not a LIKE wildcard.
    expect(await count("action=alpha_")).toBe(0);
    expect(await count(`action=alpha.&actor=${encodeURIComponent(email.toUpperCase())}`)).toBe(3);
    expect(await count("action=alpha.&actor=nobody%40x.gov.cn")).toBe(0);
    expect(await count("action=alpha.&result=denied")).toBe(2);
    const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(await count(`action=beta.&from=${day(now - 11 * DAY)}&to=${day(now - 9 * DAY)}`)).toBe(4);
    expect(await count(`action=beta.&from=${day(now - 5 * DAY)}`)).toBe(0);
  });

  it("pages by keyset: every entry once, newest first", async () => {
    const { dept, s } = await freshDept();
    await insertEntries(dept, 120, { action: "page.test", target: "p-" });
    const seen: number[] = [];
    let url: string | undefined = "/admin/audit?action=page.test";
    let pages = 0;
    while (url) {
      const html = await (await adminGet(url, s)).text();
      for (const m of html.matchAll(/<td>p-(\d+)<\/td>/g)) seen.push(Number(m[1]));
      url = /<a href="([^"]+)">下一页<\/a>/.exec(html)?.[1]?.replace(/&amp;/g, "&");
      pages++;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(Math.ceil(120 / PAGE_SIZE));
    // The target counts minutes back from now: ascending numbers are newest first.
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it.each([
    ["result=maybe", "结果", "Result must be ok, denied or failed"],
    ["from=2025-13-45", "开始日期", "No such date"],
    ["from=2025-02-30", "开始日期", "No such date"],
    ["to=yesterday", "结束日期", "A date is YYYY-MM-DD"],
    ["action=%3Cscript%3E", "操作前缀", "Use a-z"],
    ["actor=not-an-address", "操作人邮箱", "Enter a valid e-mail address"],
    ["from=2025-02-01&to=2025-01-01", "开始日期不能晚于结束日期", "after the end date"],
    ["dept=other", "表单中没有此项", "no such field"],
  ])("refuses ?%s in Chinese and English", async (query, zh, en) => {
    const { s } = await freshDept();
    const res = await adminGet(`/admin/audit?${query}`, s);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(zh);
    expect(html).toContain(en);
    expect(html).not.toContain("<script>");
  });

  it("renders user-entered text in entries escaped", async () => {
    const { dept, s } = await freshDept();
    await insertEntries(dept, 1, { action: "xss.test", target: "<script>alert(1)</script>" });
    const html = await (await adminGet("/admin/audit?action=xss.", s)).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
  });

  it.each(["handler", "viewer"] as const)(
    "gives a %s 403 on the log and the export, audited",
    async (role) => {
      const { dept, s } = await freshDept(role);
      expect((await adminGet("/admin/audit", s)).status).toBe(403);
      const csv = await adminGet("/admin/audit/export.csv", s);
      expect(csv.status).toBe(403);
      expect(csv.headers.get("content-type")).toContain("text/html");
      const denied = await env.DB.prepare(
        "SELECT action FROM audit_log WHERE dept_id = ? AND result = 'denied' ORDER BY id",
      )
        .bind(dept)
        .all<{ action: string }>();
      expect(denied.results.map((r) => r.action)).toEqual(["audit.view", "audit.export"]);
    },
  );

  it("never shows department A's entries to an admin of department B", async () => {
    const a = await freshDept();
    const b = await freshDept();
    const marker = `secret-of-a-${uid()}`;
    await insertEntries(a.dept, 3, { action: "a.private", target: marker });
    const page = await (await adminGet("/admin/audit", b.s)).text();
    expect(page).not.toContain(marker);
    expect(page).not.toContain(a.email);
    expect(await (await adminGet("/admin/audit?action=a.", b.s)).text()).not.toContain(marker);
    const csv = await (await adminGet("/admin/audit/export.csv?action=a.", b.s)).text();
    expect(csv).not.toContain(marker);
    expect(csv.trim().split("\r\n")).toHaveLength(1);
  });
});

describe("GET /admin/audit/export.csv", () => {
  it("streams the filtered log as CSV with a BOM, CRLF rows and defused formula cells, and audits the export", async () => {
    const { dept, slug, userId, s } = await freshDept();
    await insertEntries(dept, 1, { action: "csv.formula", target: '=HYPERLINK("http://evil","点我")' });
    await insertEntries(dept, 1, { action: "csv.formula", target: "-1+2,三" });
    await insertEntries(dept, 1, { action: "csv.other" });
    const res = await adminGet("/admin/audit/export.csv?action=csv.formula", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="audit-${slug}-\\d{8}\\.csv"$`),
    );
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes).slice(1);
    const lines = text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe("时间（北京时间）,操作人,操作,操作说明,对象,结果,来源,请求编号,详情");
    expect(lines).toHaveLength(4);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"",""点我"")1"`);
    expect(text).toContain(`"'-1+2,三1"`);
    expect(text).toContain("203.0.113.*");
    expect(text).not.toContain("203.0.113.77");
    expect(text).not.toContain("csv.other");
    const log = await env.DB.prepare(
      "SELECT actor_id, result, detail FROM audit_log WHERE dept_id = ? AND action = 'audit.export'",
    )
      .bind(dept)
      .first<{ actor_id: string; result: string; detail: string }>();
    expect(log).toMatchObject({ actor_id: userId, result: "ok" });
    expect(JSON.parse(log!.detail)).toEqual({ action: "csv.formula" });
  });

  it("exports every matching row in pages of 500", async () => {
    const { dept, s } = await freshDept();
    await insertEntries(dept, 1203, { action: "bulk.export", target: "b-" });
    const chunks: string[] = [];
    for await (const chunk of auditCsvChunks(db(), dept, { actionPrefix: "bulk." })) chunks.push(chunk);
    // The header, then 500 + 500 + 203.
    expect(chunks.map((c) => c.split("\r\n").length - 1)).toEqual([1, 500, 500, 203]);
    const res = await adminGet("/admin/audit/export.csv?action=bulk.", s);
    const text = await res.text();
    const targets = [...text.matchAll(/,b-(\d+),/g)].map((m) => Number(m[1]));
    expect(targets).toHaveLength(1203);
    expect(new Set(targets).size).toBe(1203);
  });

  it("refuses a bad filter with a page, not a file", async () => {
    const { s } = await freshDept();
    const res = await adminGet("/admin/audit/export.csv?result=all", s);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("text/html");
  });
});
