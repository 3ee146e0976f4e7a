/**
 * The staff case API under /api/v1/admin: the inbox (filters, keyset pages), one case (personal
 * data masked), and the one write path, events, checked against the opinion state machine over
 * HTTP. Plus who may do what: bearer tokens, roles and departments (tenancy), with every event
 * audited. Expectations are worked out by hand from DESIGN §2 and §6, not computed by the code.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser, grantRole, storeApiToken } from "../../schema/queries/bootstrap.ts";
import { applyEvent, get, newCase, postEvent, rows } from "../../test/case-helpers.ts";
import { db, seedDept, seedStaff, validOpinion } from "../../test/helpers.ts";
import { randomSecret, sha256Hex } from "../lib/crypto.ts";

type Staff = Awaited<ReturnType<typeof seedStaff>>;

interface Summary {
  trackingCode: string;
  kind: string;
  state: string;
  category: string;
  subject: string;
  dueDate: string;
  published: boolean;
  assigneeId: string | null;
  createdAt: string;
}

interface CaseDetail extends Summary {
  body: string;
  answers: Record<string, unknown>;
  personal: Record<string, string>;
  consentPublish: boolean;
  reply: { text: string; at: string } | null;
  timeline: { type: string; actorId: string | null; data: Record<string, unknown>; public: boolean }[];
}

interface ListPage {
  items: Summary[];
  nextCursor: string | null;
}

interface ErrorJson {
  error: { code: string; message: string; messageEn: string; issues?: { path: string }[] };
}

let demoId: string;
let otherId: string;
let admin: Staff;
let handler: Staff;
let handler2: Staff;
let viewer: Staff;
let appraiser: Staff;
let otherHandler: Staff;

beforeAll(async () => {
  demoId = await seedDept();
  otherId = await seedDept("other", "另一区市场监督管理局");
  admin = await seedStaff(demoId, "admin@demo.gov.cn", "admin");
  handler = await seedStaff(demoId, "handler@demo.gov.cn", "handler");
  handler2 = await seedStaff(demoId, "handler2@demo.gov.cn", "handler");
  viewer = await seedStaff(demoId, "viewer@demo.gov.cn", "viewer");
  appraiser = await seedStaff(demoId, "appraiser@demo.gov.cn", "appraiser");
  otherHandler = await seedStaff(otherId, "handler@other.gov.cn", "handler");
});

afterEach(() => {
  vi.useRealTimers();
});

async function freshDept(prefix: string) {
  const slug = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const id = await seedDept(slug, `测试部门 ${slug}`);
  const staff = await seedStaff(id, `handler@${slug}.gov.cn`, "handler");
  return { slug, id, staff };
}

async function getCase(code: string, auth: Record<string, string>): Promise<CaseDetail> {
  const res = await get(`/api/v1/admin/cases/${code}`, auth);
  expect(res.status).toBe(200);
  return (await res.json()) as CaseDetail;
}

async function list(query: string, auth: Record<string, string>): Promise<ListPage> {
  const res = await get(`/api/v1/admin/cases${query}`, auth);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ListPage;
}

/** Every tracking code the caller can see with `query`, following nextCursor to the end. */
async function walk(
  query: string,
  auth: Record<string, string>,
): Promise<{ codes: string[]; pages: number[] }> {
  const codes: string[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? "&" : "?";
    const page: ListPage = await list(`${query}${cursor ? `${sep}cursor=${cursor}` : ""}`, auth);
    codes.push(...page.items.map((i) => i.trackingCode));
    pages.push(page.items.length);
    cursor = page.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor);
  return { codes, pages };
}

const eventsOf = (code: string) =>
  rows<{ type: string; actor_id: string | null; public: number; data: string }>(
    "SELECT e.type, e.actor_id, e.public, e.data FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.tracking_code = ? ORDER BY e.id",
    code,
  );

const auditOf = (code: string) =>
  rows<{
    action: string;
    result: string;
    actor_id: string | null;
    dept_id: string;
    ip: string | null;
    request_id: string;
  }>(
    "SELECT action, result, actor_id, dept_id, ip, request_id FROM audit_log WHERE target = ? ORDER BY id",
    code,
  );

const stateOf = async (code: string) =>
  (
    await rows<{ state: string; published: number; assignee_id: string | null; reply_text: string | null }>(
      "SELECT state, published, assignee_id, reply_text FROM cases WHERE tracking_code = ?",
      code,
    )
  )[0]!;

async function expectError(res: Response, status: number, code: string, paths?: string[]) {
  const body = (await res.json()) as ErrorJson;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toBeTruthy();
  expect(body.error.messageEn).toBeTruthy();
  if (paths) expect(body.error.issues?.map((i) => i.path)).toEqual(paths);
}

describe("GET /api/v1/admin/cases", () => {
  it("walks every case of the department in keyset pages, newest first, without duplicates or gaps", async () => {
    const dept = await freshDept("inbox");
    vi.useFakeTimers({ toFake: ["Date"] });
    const base = Date.parse("2026-04-01T01:00:00Z");
    for (let i = 0; i < 25; i++) {
      // Groups of three share a creation instant: the tie-break on id must hold across page ends.
      vi.setSystemTime(base + Math.floor(i / 3) * 1000);
      await newCase(validOpinion({ subject: `来信 ${i}` }), dept.slug);
    }
    vi.useRealTimers();
    const expected = (
      await rows<{ tracking_code: string }>(
        "SELECT tracking_code FROM cases WHERE dept_id = ? ORDER BY created_at DESC, id DESC",
        dept.id,
      )
    ).map((r) => r.tracking_code);
    expect(expected).toHaveLength(25);

    const small = await walk("?limit=7", dept.staff.auth);
    expect(small.pages).toEqual([7, 7, 7, 4]);
    expect(small.codes).toEqual(expected);

    const byDefault = await walk("", dept.staff.auth);
    expect(byDefault.pages).toEqual([20, 5]);
    expect(byDefault.codes).toEqual(expected);

    // The limit is clamped to 1..100, not refused.
    expect((await list("?limit=0", dept.staff.auth)).items).toHaveLength(1);
    expect((await list("?limit=500", dept.staff.auth)).items).toHaveLength(25);

    const first = (await list("?limit=1", dept.staff.auth)).items[0]!;
    expect(first).toMatchObject({
      trackingCode: expected[0],
      kind: "opinion",
      state: "received",
      category: "suggest",
      published: false,
      assigneeId: null,
    });
    expect(first.createdAt).toBe(new Date(base + 8000).toISOString());
  });

  it("pages a search newest arrival first, for strings of one, two and more characters", async () => {
    const dept = await freshDept("search");
    const texts = ["夜间门诊太少", "门诊挂号难", "图书馆闭馆早", "希望增加门诊医生", "公交站没有遮雨棚"];
    const codes: string[] = [];
    for (let i = 0; i < 15; i++) {
      codes.push(await newCase(validOpinion({ subject: `来信${i}`, body: texts[i % 5]! }), dept.slug));
    }
    const auth = dept.staff.auth;
    const newestFirst = (keep: (i: number) => boolean) => codes.filter((_, i) => keep(i)).reverse();
    const withMenzhen = newestFirst((i) => [0, 1, 3].includes(i % 5));
    const two = await walk(`?q=${encodeURIComponent("门诊")}&limit=4`, auth);
    expect(two.codes).toEqual(withMenzhen);
    expect(two.pages).toEqual([4, 4, 1]);
    expect((await walk(`?q=${encodeURIComponent("馆")}&limit=2`, auth)).codes).toEqual(
      newestFirst((i) => i % 5 === 2),
    );
    expect((await walk(`?q=${encodeURIComponent("增加门诊医")}`, auth)).codes).toEqual(
      newestFirst((i) => i % 5 === 3),
    );
    expect((await walk(`?q=${encodeURIComponent("鲸")}`, auth)).codes).toEqual([]);
    // A reply is searched too, once the case changed.
    await applyEvent(codes[4]!, { type: "replied", text: "已协调公交公司加装雨棚" }, auth);
    expect((await walk(`?q=${encodeURIComponent("公交公司")}`, auth)).codes).toEqual([codes[4]]);
    // A listing's cursor given to a search starts it from the top (and the other way round).
    const listed = await list("?limit=2", auth);
    const fromListing = await list(
      `?q=${encodeURIComponent("门诊")}&limit=2&cursor=${listed.nextCursor}`,
      auth,
    );
    expect(fromListing.items.map((i) => i.trackingCode)).toEqual(withMenzhen.slice(0, 2));
  });

  it("filters by state and kind", async () => {
    const dept = await freshDept("states");
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) codes.push(await newCase(validOpinion(), dept.slug));
    const auth = dept.staff.auth;
    const assignee = `handler@${dept.slug}.gov.cn`;
    for (const code of codes.slice(0, 3)) await applyEvent(code, { type: "assigned", assignee }, auth);
    for (const code of codes.slice(3, 5)) await applyEvent(code, { type: "replied", text: "答复" }, auth);
    await applyEvent(codes[4]!, { type: "closed" }, auth);

    const set = async (q: string) => new Set((await walk(q, auth)).codes);
    expect(await set("?state=assigned")).toEqual(new Set(codes.slice(0, 3)));
    expect(await set("?state=replied")).toEqual(new Set([codes[3]]));
    expect(await set("?state=closed")).toEqual(new Set([codes[4]]));
    expect(await set("?state=received")).toEqual(new Set([codes[5]]));
    expect(await set("?state=no_such_state")).toEqual(new Set());
    expect(await set("?kind=opinion")).toEqual(new Set(codes));
    expect(await set("?kind=disclosure")).toEqual(new Set());
    expect(await set("?kind=opinion&state=assigned&limit=2")).toEqual(new Set(codes.slice(0, 3)));
  });

  it("filters by Beijing calendar days (from/to inclusive) and by ISO instants", async () => {
    const dept = await freshDept("dates");
    vi.useFakeTimers({ toFake: ["Date"] });
    const at = async (iso: string) => {
      vi.setSystemTime(Date.parse(iso));
      return newCase(validOpinion(), dept.slug);
    };
    const lastOfMar1 = await at("2025-03-01T23:59:59.999+08:00");
    const firstOfMar2 = await at("2025-03-02T00:00:00.000+08:00"); // 2025-03-01 in UTC
    const lastOfMar2 = await at("2025-03-02T23:59:59.999+08:00");
    const firstOfMar3 = await at("2025-03-03T00:00:00.000+08:00");
    vi.useRealTimers();
    const auth = dept.staff.auth;
    const codes = async (q: string) => (await walk(q, auth)).codes;

    expect(await codes("?from=2025-03-02&to=2025-03-02")).toEqual([lastOfMar2, firstOfMar2]);
    expect(await codes("?to=2025-03-01")).toEqual([lastOfMar1]);
    expect(await codes("?from=2025-03-03")).toEqual([firstOfMar3]);
    expect(await codes("?from=2025-03-01&to=2025-03-03")).toEqual([
      firstOfMar3,
      lastOfMar2,
      firstOfMar2,
      lastOfMar1,
    ]);
    expect(await codes("?from=2025-03-04")).toEqual([]);
    expect(await codes("?from=2025-03-03&to=2025-03-02")).toEqual([]);
    // Instants are taken as given (inclusive), with Z or an offset.
    expect(await codes("?from=2025-03-01T16:00:00Z&to=2025-03-02T15:59:59.999Z")).toEqual([
      lastOfMar2,
      firstOfMar2,
    ]);
    expect(await codes("?from=2025-03-02T23:59:59.999%2B08:00&state=received")).toEqual([
      firstOfMar3,
      lastOfMar2,
    ]);
  });

  it("answers 400 naming each bad query parameter", async () => {
    const auth = handler.auth;
    const cases: [string, string[]][] = [
      ["?kind=complaint", ["query.kind"]],
      ["?state=Closed!", ["query.state"]],
      ["?from=2025-13-45", ["query.from"]],
      ["?to=yesterday", ["query.to"]],
      ["?from=2025-03-01T25:00:00Z", ["query.from"]],
      ["?limit=abc", ["query.limit"]],
      ["?limit=1000", ["query.limit"]],
      ["?limit=-1", ["query.limit"]],
      ["?deptId=other", ["query.deptId"]],
      ["?cursor=!!!", ["query.cursor"]],
      ["?cursor=bm90LWEtY3Vyc29y", ["query.cursor"]],
      ["?kind=x&from=bad", ["query.kind", "query.from"]],
    ];
    for (const [q, paths] of cases) {
      const res = await get(`/api/v1/admin/cases${q}`, auth);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as ErrorJson;
      // A value can fail two checks of one field (format and date): what counts is which fields.
      expect([...new Set(body.error.issues?.map((i) => i.path))].sort(), q).toEqual([...paths].sort());
      expect(body.error.message).toBeTruthy();
      expect(body.error.messageEn).toBeTruthy();
    }
  });
});

describe("GET /api/v1/admin/cases/:code", () => {
  it("shows the case with personal data masked, never in clear", async () => {
    const code = await newCase(
      validOpinion({ name: "张三", contact: "138 0013 8000", publish: true, kind: "complain" }),
    );
    const res = await get(`/api/v1/admin/cases/${code.toLowerCase()}`, handler.auth);
    expect(res.status).toBe(200);
    const text = await res.text();
    const detail = JSON.parse(text) as CaseDetail;
    expect(detail).toMatchObject({
      trackingCode: code,
      state: "received",
      category: "complain",
      subject: validOpinion().subject,
      body: validOpinion().body,
      consentPublish: true,
      reply: null,
      personal: { name: "张*", contact: "138****8000" },
    });
    expect(detail.timeline.map((e) => e.type)).toEqual(["received"]);
    for (const secret of ["张三", "13800138000", "138 0013 8000", "personalEnc", "v1."]) {
      expect(text).not.toContain(secret);
    }
    expect(detail.answers).not.toHaveProperty("name");
    expect(detail.answers).not.toHaveProperty("contact");
  });

  it("masks an e-mail contact", async () => {
    const code = await newCase(validOpinion({ name: "欧阳娜娜", contact: "a@b.cn" }));
    const res = await get(`/api/v1/admin/cases/${code}`, viewer.auth);
    const text = await res.text();
    expect((JSON.parse(text) as CaseDetail).personal).toEqual({ name: "欧***", contact: "a***@b.cn" });
    expect(text).not.toContain("a@b.cn");
    expect(text).not.toContain("欧阳娜娜");
  });

  it("shows no personal data for an anonymous case", async () => {
    const code = await newCase();
    expect((await getCase(code, handler.auth)).personal).toEqual({});
  });

  it("answers 404 for an unknown or malformed code", async () => {
    await expectError(await get("/api/v1/admin/cases/ABCD-EFGH-JKLM", handler.auth), 404, "not_found");
    await expectError(await get("/api/v1/admin/cases/not-a-code", handler.auth), 404, "not_found");
  });
});

describe("POST /api/v1/admin/cases/:code/events", () => {
  it("assigns to a handler of the department, by e-mail in any case", async () => {
    const code = await newCase();
    const res = await postEvent(
      code,
      { type: "assigned", assignee: "  Handler2@DEMO.gov.cn " },
      handler.auth,
    );
    expect(res.status).toBe(201);
    expect(((await res.json()) as Summary).state).toBe("assigned");
    const detail = await getCase(code, handler.auth);
    expect(detail.assigneeId).toBe(handler2.userId);
    expect(detail.timeline.at(-1)).toMatchObject({
      type: "assigned",
      actorId: handler.userId,
      data: { assignee: "handler2@demo.gov.cn" },
      public: true,
    });
    // An admin of the department handles cases too.
    await applyEvent(code, { type: "assigned", assignee: "admin@demo.gov.cn" }, handler.auth);
    expect((await getCase(code, handler.auth)).assigneeId).toBe(admin.userId);
  });

  it("refuses an assignee who is not a handler of this department (400 at `assignee`), writing no event", async () => {
    const code = await newCase();
    for (const assignee of [
      "nobody@demo.gov.cn",
      "handler@other.gov.cn",
      "viewer@demo.gov.cn",
      "appraiser@demo.gov.cn",
      "not-an-e-mail",
    ]) {
      const res = await postEvent(code, { type: "assigned", assignee }, handler.auth);
      await expectError(res, 400, "validation_failed", ["assignee"]);
    }
    expect((await stateOf(code)).state).toBe("received");
    expect((await eventsOf(code)).map((e) => e.type)).toEqual(["received"]);
  });

  it("refuses malformed events with 400 and the path of the field", async () => {
    const code = await newCase();
    const cases: [unknown, string[]][] = [
      [{ type: "deleted" }, ["type"]],
      [{}, ["type"]],
      [{ type: "replied" }, ["text"]],
      [{ type: "replied", text: "   " }, ["text"]],
      [{ type: "replied", text: "答".repeat(10_001) }, ["text"]],
      [{ type: "replied", text: 42 }, ["text"]],
      [{ type: "closed", state: "closed" }, ["state"]],
      [{ type: "assigned", assignee: "handler@demo.gov.cn", assigneeId: "x" }, ["assigneeId"]],
      ["{", ["body"]],
    ];
    for (const [body, paths] of cases) {
      const res = await postEvent(code, body as Record<string, unknown>, handler.auth);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const json = (await res.json()) as ErrorJson;
      expect(json.error.issues?.map((i) => i.path)).toEqual(paths);
    }
    expect((await eventsOf(code)).map((e) => e.type)).toEqual(["received"]);
  });

  it("replies (the replier becomes the assignee), then publishes only with consent, and closes only after a reply", async () => {
    const consenting = await newCase(validOpinion({ publish: true }));
    await expectError(
      await postEvent(consenting, { type: "published" }, handler.auth),
      409,
      "invalid_transition",
    );
    await expectError(
      await postEvent(consenting, { type: "closed" }, handler.auth),
      409,
      "invalid_transition",
    );
    await expectError(
      await postEvent(consenting, { type: "unpublished" }, handler.auth),
      409,
      "invalid_transition",
    );

    const replied = await postEvent(consenting, { type: "replied", text: "  已处理。 " }, handler.auth);
    expect(replied.status).toBe(201);
    expect((await replied.json()) as Summary).toMatchObject({ state: "replied", assigneeId: handler.userId });
    expect((await getCase(consenting, viewer.auth)).reply?.text).toBe("已处理。");

    const published = await postEvent(consenting, { type: "published" }, handler.auth);
    expect(published.status).toBe(201);
    expect(((await published.json()) as Summary).published).toBe(true);
    await expectError(
      await postEvent(consenting, { type: "published" }, handler.auth),
      409,
      "invalid_transition",
    );
    await applyEvent(consenting, { type: "unpublished" }, handler.auth);
    expect((await stateOf(consenting)).published).toBe(0);
    await applyEvent(consenting, { type: "closed" }, handler.auth);
    expect((await stateOf(consenting)).state).toBe("closed");

    const refusing = await newCase(validOpinion({ publish: false }));
    await applyEvent(refusing, { type: "replied", text: "已处理。" }, handler.auth);
    const res = await postEvent(refusing, { type: "published" }, handler.auth);
    const body = (await res.json()) as ErrorJson;
    expect(res.status).toBe(409);
    expect(body.error.code).toBe("invalid_transition");
    expect(body.error.message).toContain("未同意公开");
    expect(body.error.messageEn).toMatch(/consent/);
    expect((await stateOf(refusing)).published).toBe(0);
  });

  it("answers 404 for a case that does not exist", async () => {
    await expectError(await postEvent("ABCD-EFGH-JKLM", { type: "closed" }, handler.auth), 404, "not_found");
  });
});

/**
 * The opinion state machine over HTTP (DESIGN §2): received → assigned → replied → closed; a reply
 * may come straight from received; publishing is a flag that needs the citizen's consent and a reply
 * (so a replied or closed case) and is not already set; unpublishing needs it set; closing needs the
 * state to be replied. Each row is a starting point reached through the API; each cell the status
 * of one more event, worked out by hand from those rules.
 */
describe("the state machine, event by event", () => {
  type EventName = "assigned" | "replied" | "published" | "unpublished" | "closed";
  const EVENTS: EventName[] = ["assigned", "replied", "published", "unpublished", "closed"];
  const body = (e: EventName): Record<string, unknown> =>
    e === "assigned"
      ? { type: e, assignee: "handler2@demo.gov.cn" }
      : e === "replied"
        ? { type: e, text: "答复内容" }
        : { type: e };

  interface Row {
    start: string;
    consent: boolean;
    path: EventName[];
    state: string;
    published: boolean;
    expect: Record<EventName, 201 | 409>;
  }
  const row = (
    start: string,
    consent: boolean,
    path: EventName[],
    state: string,
    published: boolean,
    [assigned, replied, publishedS, unpublished, closed]: (201 | 409)[],
  ): Row => ({
    start,
    consent,
    path,
    state,
    published,
    expect: {
      assigned: assigned!,
      replied: replied!,
      published: publishedS!,
      unpublished: unpublished!,
      closed: closed!,
    },
  });
  //                                                                       assign reply  publish unpub close
  const TABLE: Row[] = [
    row("received", true, [], "received", false, [201, 201, 409, 409, 409]),
    row("received", false, [], "received", false, [201, 201, 409, 409, 409]),
    row("assigned", true, ["assigned"], "assigned", false, [201, 201, 409, 409, 409]),
    row("assigned", false, ["assigned"], "assigned", false, [201, 201, 409, 409, 409]),
    row("replied", true, ["replied"], "replied", false, [409, 409, 201, 409, 201]),
    row("replied", false, ["assigned", "replied"], "replied", false, [409, 409, 409, 409, 201]),
    row("replied+published", true, ["replied", "published"], "replied", true, [409, 409, 409, 201, 201]),
    row("closed", true, ["replied", "closed"], "closed", false, [409, 409, 201, 409, 409]),
    row("closed", false, ["replied", "closed"], "closed", false, [409, 409, 409, 409, 409]),
    row(
      "closed+published",
      true,
      ["replied", "published", "closed"],
      "closed",
      true,
      [409, 409, 409, 201, 409],
    ),
  ];

  /** What an accepted event leaves behind: (state, published). */
  const after = (r: Row, e: EventName): [string, boolean] => {
    switch (e) {
      case "assigned":
        return ["assigned", r.published];
      case "replied":
        return ["replied", r.published];
      case "published":
        return [r.state, true];
      case "unpublished":
        return [r.state, false];
      case "closed":
        return ["closed", r.published];
    }
  };

  const cells = TABLE.flatMap((r) => EVENTS.map((e) => ({ ...r, event: e, status: r.expect[e] })));

  it.each(cells)("$start (consent: $consent) + $event → $status", async (cell) => {
    const code = await newCase(validOpinion({ publish: cell.consent }));
    for (const step of cell.path) await applyEvent(code, body(step), handler.auth);
    const before = await stateOf(code);
    expect([before.state, before.published === 1]).toEqual([cell.state, cell.published]);
    const eventsBefore = (await eventsOf(code)).length;

    const res = await postEvent(code, body(cell.event), handler.auth, { "cf-connecting-ip": "198.51.100.7" });
    expect(res.status, await res.clone().text()).toBe(cell.status);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const now = await stateOf(code);
    const events = await eventsOf(code);
    const lastAudit = (await auditOf(code)).at(-1)!;
    expect(lastAudit).toMatchObject({
      action: `case.${cell.event}`,
      actor_id: handler.userId,
      dept_id: demoId,
      ip: "198.51.100.7",
      request_id: res.headers.get("x-request-id"),
    });
    if (cell.status === 201) {
      expect([now.state, now.published === 1]).toEqual(after(cell, cell.event));
      expect(events).toHaveLength(eventsBefore + 1);
      expect(events.at(-1)).toMatchObject({ type: cell.event, actor_id: handler.userId });
      expect(lastAudit.result).toBe("ok");
    } else {
      const json = (await res.json()) as ErrorJson;
      expect(json.error.code).toBe("invalid_transition");
      expect([now.state, now.published === 1]).toEqual([cell.state, cell.published]);
      expect(events).toHaveLength(eventsBefore);
      expect(lastAudit.result).toBe("failed");
    }
  });
});

describe("the record of events", () => {
  it("writes one case_events row and one audit row per event, and the tracking page shows the public ones", async () => {
    const code = await newCase(validOpinion({ publish: true }));
    const steps: Record<string, unknown>[] = [
      { type: "assigned", assignee: "handler2@demo.gov.cn" },
      { type: "replied", text: "已答复。" },
      { type: "published" },
      { type: "unpublished" },
      { type: "closed" },
    ];
    for (const step of steps) await applyEvent(code, step, handler2.auth);
    // A refused one (already closed) and a denied one (viewer) are audited too, without an event.
    await expectError(
      await postEvent(code, { type: "replied", text: "再答复" }, handler2.auth),
      409,
      "invalid_transition",
    );
    await expectError(await postEvent(code, { type: "published" }, viewer.auth), 403, "forbidden");

    const events = await eventsOf(code);
    expect(events.map((e) => [e.type, e.public])).toEqual([
      ["received", 1],
      ["assigned", 1],
      ["replied", 1],
      ["published", 0],
      ["unpublished", 0],
      ["closed", 1],
    ]);
    expect(events.slice(1).every((e) => e.actor_id === handler2.userId)).toBe(true);
    expect((await auditOf(code)).map((a) => [a.action, a.result, a.actor_id])).toEqual([
      ["case.assigned", "ok", handler2.userId],
      ["case.replied", "ok", handler2.userId],
      ["case.published", "ok", handler2.userId],
      ["case.unpublished", "ok", handler2.userId],
      ["case.closed", "ok", handler2.userId],
      ["case.replied", "failed", handler2.userId],
      ["case.published", "denied", viewer.userId],
    ]);

    const detail = await getCase(code, handler.auth);
    expect(detail.timeline.map((e) => [e.type, e.public])).toEqual(
      events.map((e) => [e.type, e.public === 1]),
    );

    const track = (await (await get(`/api/v1/track/${code}`)).json()) as { timeline: { type: string }[] };
    expect(track.timeline.map((e) => e.type)).toEqual(["received", "assigned", "replied", "closed"]);
    const page = await (await get(`/t/${code}`)).text();
    for (const label of ["收到来信", "分派专人办理", "作出答复", "办结"]) expect(page).toContain(label);
    expect(page).not.toContain("handler2@demo.gov.cn");
  });
});

describe("tenancy", () => {
  it("hides another department's cases: 404 for the case, none in the list, no writes", async () => {
    const demoCode = await newCase(validOpinion({ publish: true }));
    const otherCode = await newCase(validOpinion(), "other");

    await expectError(await get(`/api/v1/admin/cases/${demoCode}`, otherHandler.auth), 404, "not_found");
    await expectError(
      await postEvent(demoCode, { type: "replied", text: "越权答复" }, otherHandler.auth),
      404,
      "not_found",
    );
    await expectError(
      await postEvent(demoCode, { type: "assigned", assignee: "handler@other.gov.cn" }, otherHandler.auth),
      404,
      "not_found",
    );
    expect(await stateOf(demoCode)).toMatchObject({ state: "received", reply_text: null, assignee_id: null });
    expect((await eventsOf(demoCode)).map((e) => e.type)).toEqual(["received"]);

    const seenByOther = (await walk("?limit=100", otherHandler.auth)).codes;
    const otherCodes = (
      await rows<{ tracking_code: string }>("SELECT tracking_code FROM cases WHERE dept_id = ?", otherId)
    ).map((r) => r.tracking_code);
    expect(seenByOther).toContain(otherCode);
    expect(new Set(seenByOther)).toEqual(new Set(otherCodes));
    expect((await walk("?state=received", otherHandler.auth)).codes).not.toContain(demoCode);

    // And the other way round.
    await expectError(await get(`/api/v1/admin/cases/${otherCode}`, handler.auth), 404, "not_found");
    expect((await walk("?limit=100", handler.auth)).codes).not.toContain(otherCode);
  });

  it("shows staff of two departments both inboxes merged newest first, and a system admin every department's", async () => {
    await newCase(validOpinion({ subject: "甲部门来信" }));
    await newCase(validOpinion({ subject: "乙部门来信" }), "other");
    await newCase(validOpinion({ subject: "甲部门又一封" }));
    const third = await freshDept("third");
    const thirdCode = await newCase(validOpinion(), third.slug);
    const both = await seedStaff(demoId, "both@demo.gov.cn", "handler");
    await grantRole(db(), both.userId, otherId, "viewer");
    const root = await seedStaff(third.id, "root@demo.gov.cn", "viewer", true);
    const codesOf = async (where: string, ...params: string[]) =>
      (
        await rows<{ tracking_code: string }>(
          `SELECT tracking_code FROM cases ${where} ORDER BY created_at DESC, id DESC`,
          ...params,
        )
      ).map((r) => r.tracking_code);

    const expectedBoth = await codesOf("WHERE dept_id IN (?, ?)", demoId, otherId);
    expect(expectedBoth.length).toBeGreaterThan(3);
    expect((await walk("?limit=3", both.auth)).codes).toEqual(expectedBoth);
    expect((await walk("?limit=3&state=received", both.auth)).codes).toEqual(
      await codesOf("WHERE dept_id IN (?, ?) AND state = 'received'", demoId, otherId),
    );
    expect((await walk("?limit=100", both.auth)).codes).not.toContain(thirdCode);

    const everything = await codesOf("");
    expect((await walk("?limit=3", root.auth)).codes).toEqual(everything);
    expect(everything).toContain(thirdCode);
  });

  it("shows a user without any department nothing", async () => {
    const d = db();
    const userId = await createUser(d, { email: "lonely@example.gov.cn", passwordHash: "x" });
    const token = randomSecret(24);
    await storeApiToken(d, { userId, tokenHash: await sha256Hex(token) });
    const auth = { authorization: `Bearer ${token}` };
    const code = await newCase();
    expect((await list("", auth)).items).toEqual([]);
    await expectError(await get(`/api/v1/admin/cases/${code}`, auth), 404, "not_found");
  });
});

describe("authentication and roles", () => {
  async function token(userId: string, over: { expiresAt?: number; revoked?: boolean } = {}) {
    const t = randomSecret(24);
    const id = await storeApiToken(db(), {
      userId,
      tokenHash: await sha256Hex(t),
      expiresAt: over.expiresAt ?? null,
    });
    if (over.revoked)
      await env.DB.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ?").bind(Date.now(), id).run();
    return { authorization: `Bearer ${t}` };
  }

  it("answers 401 without a valid bearer token", async () => {
    const code = await newCase();
    const headers: [string, Record<string, string>][] = [
      ["none", {}],
      ["unknown", { authorization: `Bearer ${randomSecret(24)}` }],
      ["not bearer", { authorization: `Basic ${btoa("handler@demo.gov.cn:x")}` }],
      ["too short", { authorization: "Bearer abc" }],
      ["expired", await token(handler.userId, { expiresAt: Date.now() - 1000 })],
      ["revoked", await token(handler.userId, { revoked: true })],
    ];
    for (const [why, auth] of headers) {
      for (const res of [
        await get("/api/v1/admin/cases", auth),
        await get(`/api/v1/admin/cases/${code}`, auth),
        await postEvent(code, { type: "replied", text: "x" }, auth),
      ]) {
        expect(res.status, why).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(res.headers.get("cache-control"), why).toBe("no-store");
        expect(((await res.json()) as ErrorJson).error.code).toBe("unauthorized");
      }
    }
    expect((await eventsOf(code)).map((e) => e.type)).toEqual(["received"]);
    // A token that expires later still works.
    expect(
      (await get("/api/v1/admin/cases", await token(handler.userId, { expiresAt: Date.now() + 60_000 })))
        .status,
    ).toBe(200);
  });

  it("writes a token's last use at most once a minute, not on every read", async () => {
    const t = randomSecret(24);
    const id = await storeApiToken(db(), { userId: handler.userId, tokenHash: await sha256Hex(t) });
    const auth = { authorization: `Bearer ${t}` };
    const lastUsed = async () =>
      (
        await rows<{ last_used_at: number | null }>("SELECT last_used_at FROM api_tokens WHERE id = ?", id)
      )[0]!.last_used_at;
    expect(await lastUsed()).toBeNull();
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    const readAt = async (at: number) => {
      vi.setSystemTime(at);
      expect((await get("/api/v1/admin/cases", auth)).status).toBe(200);
      return lastUsed();
    };
    expect(await readAt(t0)).toBe(t0);
    expect(await readAt(t0 + 1_000)).toBe(t0);
    expect(await readAt(t0 + 59_999)).toBe(t0);
    expect(await readAt(t0 + 60_000)).toBe(t0 + 60_000);
    expect(await readAt(t0 + 90_000)).toBe(t0 + 60_000);
    expect(await readAt(t0 + 200_000)).toBe(t0 + 200_000);
  });

  it("lets a viewer read but not change cases (403, audited as denied)", async () => {
    const code = await newCase(validOpinion({ publish: true }));
    await applyEvent(code, { type: "replied", text: "答复" }, handler.auth);
    expect((await walk("?limit=100", viewer.auth)).codes).toContain(code);
    expect((await getCase(code, viewer.auth)).state).toBe("replied");
    for (const event of [
      { type: "assigned", assignee: "handler@demo.gov.cn" },
      { type: "replied", text: "x" },
      { type: "published" },
      { type: "unpublished" },
      { type: "closed" },
    ]) {
      const res = await postEvent(code, event, viewer.auth);
      expect(res.headers.get("cache-control")).toBe("no-store");
      await expectError(res, 403, "forbidden");
    }
    expect(await stateOf(code)).toMatchObject({ state: "replied", published: 0 });
    expect((await eventsOf(code)).map((e) => e.type)).toEqual(["received", "replied"]);
    const denied = (await auditOf(code)).filter((a) => a.result === "denied");
    expect(denied.map((a) => [a.action, a.actor_id])).toEqual([
      ["case.assigned", viewer.userId],
      ["case.replied", viewer.userId],
      ["case.published", viewer.userId],
      ["case.unpublished", viewer.userId],
      ["case.closed", viewer.userId],
    ]);
  });

  it("does not show an appraiser (评议小组) the citizens' cases, and lets them change none", async () => {
    // functions/auth/permissions.ts grants `cases.read` to admin, handler and viewer only: the
    // appraisal team works on questionnaires and tallies, not on opinions.
    const code = await newCase();
    expect((await list("", appraiser.auth)).items).toEqual([]);
    await expectError(await get(`/api/v1/admin/cases/${code}`, appraiser.auth), 404, "not_found");
    await expectError(await postEvent(code, { type: "closed" }, appraiser.auth), 404, "not_found");
    expect((await eventsOf(code)).map((e) => e.type)).toEqual(["received"]);
  });

  it("marks every answer of the staff API no-store", async () => {
    const code = await newCase();
    const responses = [
      await get("/api/v1/admin/cases", handler.auth),
      await get(`/api/v1/admin/cases/${code}`, handler.auth),
      await get("/api/v1/admin/cases?kind=bad", handler.auth),
      await get("/api/v1/admin/cases/ABCD-EFGH-JKLM", handler.auth),
      await postEvent(code, { type: "closed" }, handler.auth),
      await postEvent(code, { type: "replied", text: "好" }, handler.auth),
      await postEvent(code, { type: "nope" }, handler.auth),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 400, 404, 409, 201, 400]);
    for (const res of responses) expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
