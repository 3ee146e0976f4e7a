/**
 * The citizen's side of a case after submitting: the tracking code (JSON and page) and the echo wall
 * (回音壁, JSON and page). What is asserted here is what the public may see: status, the public
 * timeline and the reply; on the echo wall the anonymised message. Never the name or the contact
 * (PIPL), never unescaped markup, and the pages may be framed only by the department's own origins.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createDepartment, installBuiltinForms } from "../../schema/queries/bootstrap.ts";
import {
  applyEvent,
  cspDirective,
  get,
  htmlEscaped,
  newCase,
  postEvent,
  publishedCase,
  rows,
} from "../../test/case-helpers.ts";
import { db, seedDept, seedStaff, validOpinion } from "../../test/helpers.ts";

const DEMO_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*"];

let handler: Awaited<ReturnType<typeof seedStaff>>;

beforeAll(async () => {
  const demo = await seedDept();
  handler = await seedStaff(demo, "handler@demo.gov.cn", "handler");
});

afterEach(() => {
  vi.useRealTimers();
});

/** A department of its own (unique slug) with a handler, for tests that need an empty echo wall. */
async function freshDept(prefix: string) {
  const slug = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const id = await seedDept(slug, `测试部门 ${slug}`);
  const staff = await seedStaff(id, `handler@${slug}.gov.cn`, "handler");
  return { slug, id, auth: staff.auth, handlerId: staff.userId };
}

const dashedLower = (code: string) => code.match(/.{4}/g)!.join("-").toLowerCase();

interface TrackJson {
  trackingCode: string;
  display: string;
  kind: string;
  category: string;
  status: string;
  submittedAt: string;
  dueDate: string;
  timeline: { type: string; at: string }[];
  reply: { text: string; at: string } | null;
}

interface EchoItem {
  id: string;
  category: string;
  subject: string;
  body: string;
  reply: string;
  submittedOn: string;
  repliedAt: string | null;
  publishedAt: string;
}

interface EchoJson {
  dept: { slug: string; name: string };
  items: EchoItem[];
  nextCursor: string | null;
}

interface ErrorJson {
  error: { code: string; message: string; messageEn: string; issues?: { path: string }[]; requestId: string };
}

async function track(code: string): Promise<{ res: Response; json: TrackJson; text: string }> {
  const res = await get(`/api/v1/track/${code}`);
  const text = await res.text();
  return { res, json: JSON.parse(text) as TrackJson, text };
}

async function echoWall(dept: string, cursor?: string): Promise<EchoJson> {
  const res = await get(`/api/v1/echo-wall/${dept}${cursor ? `?cursor=${cursor}` : ""}`);
  expect(res.status).toBe(200);
  return (await res.json()) as EchoJson;
}

/** Personal data given with a submission, in every form it could leak (clear and masked). */
const PERSONAL_PHONE = ["张三", "13800138000", "138 0013 8000", "138****8000", "张*"];
const PERSONAL_EMAIL = ["张三", "a@b.cn", "a***@b.cn"];

function expectNone(haystack: string, needles: string[]) {
  for (const n of needles) expect(haystack, `"${n}" must not appear`).not.toContain(n);
}

describe("GET /api/v1/track/:code", () => {
  it("returns the status and the public timeline of a new case, and no reply yet", async () => {
    const code = await newCase();
    const { res, json } = await track(code);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(json).toMatchObject({
      trackingCode: code,
      display: code.match(/.{4}/g)!.join("-"),
      kind: "opinion",
      category: "suggest",
      status: "received",
      reply: null,
    });
    expect(json.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(json.timeline.map((e) => e.type)).toEqual(["received"]);
    expect(Date.parse(json.timeline[0]!.at)).toBe(Date.parse(json.submittedAt));
  });

  it("accepts the code in lower case and with dashes or spaces, as people type it", async () => {
    const code = await newCase();
    for (const typed of [dashedLower(code), code.toLowerCase(), `${code.slice(0, 4)}%20${code.slice(4)}`]) {
      const { res, json } = await track(typed);
      expect(res.status, typed).toBe(200);
      expect(json.trackingCode).toBe(code);
    }
  });

  it("answers 404 with a bilingual error for an unknown or malformed code", async () => {
    for (const code of ["ABCD-EFGH-JKLM", "hello", "ABCDEFGHJKL0", "ABCDEFGHJKLMN"]) {
      const res = await get(`/api/v1/track/${code}`);
      expect(res.status, code).toBe(404);
      const body = (await res.json()) as ErrorJson;
      expect(body.error.code).toBe("not_found");
      expect(body.error.message).toMatch(/查询码/);
      expect(body.error.messageEn).toMatch(/tracking code/i);
      expect(body.error.requestId).toBeTruthy();
    }
  });

  it("shows the reply and the public events once the department has replied, and the closing", async () => {
    // A department of its own: this case is published, and the demo wall is asserted exactly below.
    const dept = await freshDept("track");
    const staff = { auth: dept.auth };
    const code = await newCase(validOpinion({ publish: true }), dept.slug);
    await applyEvent(code, { type: "assigned", assignee: `handler@${dept.slug}.gov.cn` }, staff.auth);
    let t = await track(code);
    expect(t.json.status).toBe("assigned");
    expect(t.json.reply).toBeNull();

    await applyEvent(code, { type: "replied", text: "已协调周末门诊延长至下午五点。" }, staff.auth);
    t = await track(code);
    expect(t.json.status).toBe("replied");
    expect(t.json.reply?.text).toBe("已协调周末门诊延长至下午五点。");
    expect(Number.isNaN(Date.parse(t.json.reply!.at))).toBe(false);

    // Publishing is not a step of the citizen's case: it does not show in the timeline.
    await applyEvent(code, { type: "published" }, staff.auth);
    await applyEvent(code, { type: "closed" }, staff.auth);
    t = await track(code);
    expect(t.json.status).toBe("closed");
    expect(t.json.timeline.map((e) => e.type)).toEqual(["received", "assigned", "replied", "closed"]);
    // Who handled it is not the public's business.
    expectNone(t.text, [`handler@${dept.slug}.gov.cn`, dept.handlerId]);
  });

  it("never returns the name, the phone number or the citizen's text", async () => {
    const answers = validOpinion({ name: "张三", contact: "138 0013 8000", publish: true });
    const code = await newCase(answers);
    await applyEvent(code, { type: "replied", text: "您好，已收到并处理。" }, handler.auth);
    const { text } = await track(code);
    expectNone(text, [...PERSONAL_PHONE, answers.subject as string, answers.body as string]);

    const page = await get(`/t/${code}`);
    expect(page.status).toBe(200);
    expectNone(await page.text(), [...PERSONAL_PHONE, answers.subject as string, answers.body as string]);
  });

  it("never returns an e-mail address given as the contact", async () => {
    const code = await newCase(validOpinion({ name: "张三", contact: "a@b.cn" }));
    await applyEvent(code, { type: "replied", text: "您好，已收到并处理。" }, handler.auth);
    expectNone((await track(code)).text, PERSONAL_EMAIL);
    expectNone(await (await get(`/t/${code}`)).text(), PERSONAL_EMAIL);
  });
});

describe("GET /t/:code (tracking page)", () => {
  it("renders status, the public timeline and the reply", async () => {
    const code = await newCase();
    await applyEvent(code, { type: "assigned", assignee: "handler@demo.gov.cn" }, handler.auth);
    await applyEvent(code, { type: "replied", text: "周末门诊将延长至下午五点。" }, handler.auth);
    const res = await get(`/t/${dashedLower(code)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(code.match(/.{4}/g)!.join("-"));
    expect(html).toContain("已答复");
    for (const label of ["收到来信", "分派专人办理", "作出答复"]) expect(html).toContain(label);
    expect(html).not.toContain("办结</li>");
    expect(html).toContain("周末门诊将延长至下午五点。");
  });

  it("answers 404 with the lookup form for an unknown code", async () => {
    const res = await get("/t/ABCD-EFGH-JKLM");
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain("查询码不存在");
  });

  it("may be framed only by the department's registered origins", async () => {
    const code = await newCase();
    const res = await get(`/t/${code}`);
    expect(cspDirective(res, "frame-ancestors")).toEqual(DEMO_ORIGINS);
    expect(cspDirective(res, "script-src")).not.toContain("'unsafe-inline'");
  });

  it("uses the case's own department's origins, not another department's", async () => {
    const d = db();
    const slug = `gov-${crypto.randomUUID().slice(0, 8)}`;
    const id = await createDepartment(d, {
      slug,
      name: "某市政务服务数据管理局",
      allowedOrigins: ["https://www.example.gov.cn"],
    });
    await installBuiltinForms(d, id, slug);
    const code = await newCase(validOpinion(), slug);
    const res = await get(`/t/${code}`);
    expect(cspDirective(res, "frame-ancestors")).toEqual(["https://www.example.gov.cn"]);
  });
});

describe("GET /api/v1/echo-wall/:dept", () => {
  it("shows only published cases (consent and a reply), newest first", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let clock = Date.parse("2026-05-01T02:00:00Z");
    const tick = () => {
      clock += 60_000;
      vi.setSystemTime(clock);
    };
    const opinion = (subject: string, publish: boolean) => validOpinion({ subject, publish });

    tick();
    const first = await publishedCase(handler.auth, opinion("第一条公开", true));
    tick();
    // Consent and a reply, but nobody published it.
    const notPublished = await newCase(opinion("已答复未发布", true));
    await applyEvent(notPublished, { type: "replied", text: "答复" }, handler.auth);
    tick();
    // No consent: publishing is refused, the case stays off the wall.
    const noConsent = await newCase(opinion("未同意公开", false));
    await applyEvent(noConsent, { type: "replied", text: "答复" }, handler.auth);
    expect((await postEvent(noConsent, { type: "published" }, handler.auth)).status).toBe(409);
    tick();
    // Consent but no reply yet: refused too.
    const noReply = await newCase(opinion("尚未答复", true));
    expect((await postEvent(noReply, { type: "published" }, handler.auth)).status).toBe(409);
    tick();
    // Published, then taken down.
    const withdrawn = await publishedCase(handler.auth, opinion("发布后撤下", true));
    await applyEvent(withdrawn, { type: "unpublished" }, handler.auth);
    tick();
    const last = await publishedCase(handler.auth, opinion("最新公开", true));
    expect(first).not.toBe(last);

    const wall = await echoWall("demo");
    expect(wall.dept).toEqual({ slug: "demo", name: "演示区卫生健康局" });
    expect(wall.items.map((i) => i.subject)).toEqual(["最新公开", "第一条公开"]);
    expect(wall.nextCursor).toBeNull();
    const newest = wall.items[0]!;
    expect(newest).toMatchObject({ category: "suggest", reply: "感谢您的建议，我们已研究落实。" });
    expect(newest.publishedAt).toBe(new Date(clock).toISOString());
    expect(newest.submittedOn).toBe("2026-05-01");

    const page = await get("/echo/demo");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("最新公开");
    expect(html).toContain("第一条公开");
    for (const hidden of ["已答复未发布", "未同意公开", "尚未答复", "发布后撤下"]) {
      expect(html).not.toContain(hidden);
    }
    expect(html.indexOf("最新公开")).toBeLessThan(html.indexOf("第一条公开"));
  });

  it("pages through more than 20 published cases by cursor without duplicates or gaps", async () => {
    const dept = await freshDept("paging");
    vi.useFakeTimers({ toFake: ["Date"] });
    const base = Date.parse("2026-06-01T01:00:00Z");
    const published: { code: string; at: number }[] = [];
    for (let i = 0; i < 25; i++) {
      // Groups of four share a publication instant, so the keyset's tie-break on id is exercised.
      const at = base + Math.floor(i / 4) * 1000;
      vi.setSystemTime(at);
      const code = await publishedCase(
        dept.auth,
        validOpinion({ subject: `第 ${i} 条`, publish: true }),
        "答复",
        dept.slug,
      );
      published.push({ code, at });
    }
    vi.useRealTimers();
    const ids = new Map(
      (
        await rows<{ id: string; tracking_code: string }>(
          "SELECT id, tracking_code FROM cases WHERE dept_id = ?",
          dept.id,
        )
      ).map((r) => [r.tracking_code, r.id]),
    );
    // Newest first; among equal instants, the larger id first.
    const expected = published
      .map((p) => ({ id: ids.get(p.code)!, at: p.at }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((p) => p.id);

    const first = await echoWall(dept.slug);
    expect(first.items).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await echoWall(dept.slug, first.nextCursor!);
    expect(second.items).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    const walked = [...first.items, ...second.items].map((i) => i.id);
    expect(new Set(walked).size).toBe(25);
    expect(walked).toEqual(expected);

    // The page links to the next page with the same cursor.
    const html = await (await get(`/echo/${dept.slug}`)).text();
    expect(html).toContain(`/echo/${dept.slug}?cursor=${first.nextCursor}&amp;lang=zh-CN`);
    const older = await (await get(`/echo/${dept.slug}?cursor=${first.nextCursor}`)).text();
    expect(older).toContain("第 0 条");
    expect(older).not.toContain("第 24 条");
    expect(older).not.toContain("?cursor=");
  });

  it("answers 400 with the path query.cursor for a bad cursor", async () => {
    const notAnId = btoa("123.not-a-uuid");
    const noDot = btoa("1234567890");
    for (const cursor of ["!!!", "%E4%B8%AD", notAnId, noDot, btoa(`abc.${crypto.randomUUID()}`)]) {
      const res = await get(`/api/v1/echo-wall/demo?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      const body = (await res.json()) as ErrorJson;
      expect(body.error.code).toBe("bad_request");
      expect(body.error.issues?.map((i) => i.path)).toEqual(["query.cursor"]);
      expect(body.error.message).toBeTruthy();
      expect(body.error.messageEn).toBeTruthy();
    }
    expect((await get("/echo/demo?cursor=!!!")).status).toBe(400);
  });

  it("answers 404 for an unknown department", async () => {
    expect((await get("/api/v1/echo-wall/no-such-dept")).status).toBe(404);
    expect((await get("/echo/no-such-dept")).status).toBe(404);
  });

  it("redacts phone numbers, ID numbers and e-mail addresses written in the text, and never shows name or contact", async () => {
    const dept = await freshDept("redact");
    const secrets = [
      "13912345678",
      "139-1234-5678",
      "+86 139 1234 5678",
      "010-12345678",
      "11010119900307451X",
      "110101199003074512",
      "Zhang.San@Example.com",
    ];
    const body =
      "小区门口路灯坏了两个月。请回电 13912345678 或 139-1234-5678（+86 139 1234 5678），" +
      "座机 010-12345678。我的身份证号 11010119900307451X，我爱人 110101199003074512，" +
      "邮箱 Zhang.San@Example.com。谢谢！";
    await publishedCase(
      dept.auth,
      validOpinion({
        kind: "complain",
        subject: "路灯不亮（电话13912345678）",
        body,
        name: "张三",
        contact: "13800138000",
        publish: true,
      }),
      "已安排维修，路灯已恢复。",
      dept.slug,
    );
    const wall = await echoWall(dept.slug);
    const item = wall.items[0]!;
    expect(item.subject).toBe("路灯不亮（电话[电话已隐去]）");
    expect(item.body).toBe(
      "小区门口路灯坏了两个月。请回电 [电话已隐去] 或 [电话已隐去]（[电话已隐去]），" +
        "座机 [电话已隐去]。我的身份证号 [身份证号已隐去]，我爱人 [身份证号已隐去]，" +
        "邮箱 [邮箱已隐去]。谢谢！",
    );
    const json = JSON.stringify(wall);
    const html = await (await get(`/echo/${dept.slug}`)).text();
    for (const out of [json, html]) {
      expectNone(out, [...secrets, ...PERSONAL_PHONE]);
      expect(out).toContain("路灯已恢复");
    }
  });

  it("never shows an e-mail contact or the name on the wall", async () => {
    const dept = await freshDept("contact");
    await publishedCase(
      dept.auth,
      validOpinion({ name: "张三", contact: "a@b.cn", publish: true }),
      "已收悉。",
      dept.slug,
    );
    const wall = await echoWall(dept.slug);
    expect(wall.items).toHaveLength(1);
    expectNone(JSON.stringify(wall), PERSONAL_EMAIL);
    expectNone(await (await get(`/echo/${dept.slug}`)).text(), PERSONAL_EMAIL);
  });
});

describe("markup written by citizens or staff", () => {
  const SCRIPT = "<script>alert(1)</script>";
  const IMG = '"><img src=x onerror=alert(1)>';

  it("is data in JSON and escaped text in the echo wall and tracking pages", async () => {
    const dept = await freshDept("xss");
    const code = await publishedCase(
      dept.auth,
      validOpinion({ subject: `${SCRIPT}${IMG}`, body: `正文 ${IMG} ${SCRIPT}`, publish: true }),
      `答复 ${SCRIPT} ${IMG}`,
      dept.slug,
    );

    const wall = await echoWall(dept.slug);
    expect(wall.items[0]).toMatchObject({
      subject: `${SCRIPT}${IMG}`,
      body: `正文 ${IMG} ${SCRIPT}`,
      reply: `答复 ${SCRIPT} ${IMG}`,
    });
    expect((await track(code)).json.reply?.text).toBe(`答复 ${SCRIPT} ${IMG}`);

    const echoHtml = await (await get(`/echo/${dept.slug}`)).text();
    const trackHtml = await (await get(`/t/${code}`)).text();
    for (const html of [echoHtml, trackHtml]) {
      expect(html).not.toContain(SCRIPT);
      expect(html).not.toContain("<img");
      expect(html).not.toContain(IMG);
      expect(html).toContain(htmlEscaped(`答复 ${SCRIPT} ${IMG}`));
    }
    expect(echoHtml).toContain(htmlEscaped(`${SCRIPT}${IMG}`));
    expect(echoHtml).toContain(htmlEscaped(`正文 ${IMG} ${SCRIPT}`));
    expect(htmlEscaped(IMG)).toBe("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });
});

describe("security headers of the public pages and API", () => {
  it("lets the demo department's origins frame its pages and nobody frame the JSON", async () => {
    const code = await newCase();
    for (const path of ["/echo/demo", `/t/${code}`, "/w/demo/opinion"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(cspDirective(res, "frame-ancestors"), path).toEqual(DEMO_ORIGINS);
      expect(cspDirective(res, "default-src"), path).toEqual(["'none'"]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    for (const path of ["/api/v1/echo-wall/demo", `/api/v1/track/${code}`]) {
      const res = await get(path);
      expect(cspDirective(res, "frame-ancestors"), path).toEqual(["'none'"]);
    }
  });
});
