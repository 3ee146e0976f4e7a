/**
 * The staff side's security contract, run against EVERY staff route the app registers (so a route
 * added tomorrow is covered, or this test fails until it is described below):
 *  (a) without credentials: the API answers 401, a page sends the visitor to sign in (303), a form
 *      post is refused (401);
 *  (b) a user of department B (B's admin, no role in A), with a token and a session, gets 403 or 404
 *      for anything that names A's records, and never sees A's data anywhere;
 *  (c) nothing of department A changes meanwhile;
 *  the role matrix: each role of A may do exactly what functions/auth/permissions.ts ACTIONS says;
 *  headers: no-store on every staff response, frame-ancestors 'none' on every page;
 *  output encoding: a citizen's XSS payload is shown escaped on every page that shows cases.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { opinionBox } from "../forms/builtin/opinion.ts";
import { createApp } from "../functions/app.ts";
import { ACTIONS, type Action } from "../functions/auth/permissions.ts";
import { createSession } from "../functions/auth/sessions.ts";
import { sha256Hex } from "../functions/lib/crypto.ts";
import { formatTrackingCode } from "../functions/lib/tracking-code.ts";
import { storeApiToken } from "../schema/queries/bootstrap.ts";
import { upsertForm } from "../schema/queries/forms.ts";
import type { Role } from "../schema/tables.ts";
import {
  call,
  db,
  postJson,
  seedDept,
  seedPasswordUser,
  seedStaff,
  signIn,
  validOpinion,
} from "./helpers.ts";

// ---------------------------------------------------------------------------------------------
// The routes

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS = new Set<string>(["GET", "POST", "PUT", "PATCH", "DELETE"]);

const isApi = (path: string) => path.startsWith("/api/v1/admin");
const isStaffPath = (path: string) =>
  (path === "/admin" || path.startsWith("/admin/") || isApi(path)) && path !== "/admin/login";

/** The staff routes described in ROUTES (the first test fails for any that is not). */
const describedRoutes = () => staffRoutes().filter((r) => r.key in ROUTES);

/** Every staff route the app registers: method + path, middleware (`ALL …/*`) left out. */
function staffRoutes(): { method: Method; path: string; key: string }[] {
  const seen = new Map<string, { method: Method; path: string; key: string }>();
  for (const r of createApp().routes) {
    if (!METHODS.has(r.method) || !isStaffPath(r.path) || r.path.includes("*")) continue;
    const key = `${r.method} ${r.path}`;
    seen.set(key, { method: r.method as Method, path: r.path, key });
  }
  return [...seen.values()];
}

/** Who is asking, and what they may post. */
interface Ctx {
  deptId: string;
  deptName: string;
  /** A value unique to this request (new e-mail addresses, slugs). */
  n: string;
}

interface RouteSpec {
  /** What permissions.ts must allow; null: any signed-in user (their own account and session). */
  action: Action | null;
  /** The form fields (pages) or JSON (API) of a POST: plausible, so a permitted caller gets through. */
  body?: (ctx: Ctx) => Record<string, string> | Record<string, unknown>;
  /** A list of A's cases: who may read sees A's case in it, who may not does not. */
  listsCases?: boolean;
}

/**
 * Every staff route, with the permission it needs. A route missing here fails the test: describe
 * it (its action from ACTIONS, a body for POST) when you add it.
 */
const ROUTES: Record<string, RouteSpec> = {
  // API (bearer tokens)
  "GET /api/v1/admin/cases": { action: "cases.read", listsCases: true },
  "GET /api/v1/admin/cases/:code": { action: "cases.read" },
  "POST /api/v1/admin/cases/:code/events": { action: "cases.handle", body: () => ({ type: "closed" }) },
  // Session, account
  "POST /admin/logout": { action: null, body: () => ({}) },
  "GET /admin/password": { action: null },
  "POST /admin/password": {
    action: null,
    body: () => ({
      current: "not the password at all",
      next: "a new passphrase 123",
      confirm: "a new passphrase 123",
    }),
  },
  "POST /admin/switch-dept": { action: null, body: (x) => ({ dept: x.deptId }) },
  // Cases
  "GET /admin": { action: null },
  "GET /admin/cases": { action: "cases.read", listsCases: true },
  "GET /admin/cases/:code": { action: "cases.read" },
  "POST /admin/cases/:code/events": { action: "cases.handle", body: () => ({ type: "closed" }) },
  "POST /admin/cases/:code/reveal": { action: "cases.reveal", body: () => ({ reason: "安全测试" }) },
  // Forms, embedding, posters
  "GET /admin/forms": { action: "forms.read" },
  "GET /admin/forms/:form/poster.svg": { action: "forms.read" },
  "GET /admin/forms/:form/qr.png": { action: "forms.read" },
  // Users and roles
  "GET /admin/users": { action: "users.manage" },
  "POST /admin/users": {
    action: "users.manage",
    body: (x) => ({ email: `new-${x.n}@sec.example.gov.cn`, name: "新同事", role: "viewer" }),
  },
  "POST /admin/users/:id/role": { action: "users.manage", body: () => ({ role: "viewer" }) },
  "POST /admin/users/:id/reset-password": { action: "users.manage", body: () => ({}) },
  "POST /admin/users/:id/remove": { action: "users.manage", body: () => ({}) },
  "POST /admin/users/:id/disable": { action: "users.manage", body: () => ({}) },
  "POST /admin/users/:id/enable": { action: "users.manage", body: () => ({}) },
  // Department settings
  "GET /admin/settings": { action: "settings.manage" },
  "POST /admin/settings/name": { action: "settings.manage", body: (x) => ({ name: x.deptName }) },
  "POST /admin/settings/origins": {
    action: "settings.manage",
    body: () => ({ origins: "http://localhost:*" }),
  },
  "POST /admin/settings/norms": {
    action: "settings.manage",
    body: () => ({ replyDays: "10", correctionDays: "3" }),
  },
  "POST /admin/settings/channels": {
    action: "settings.manage",
    body: (x) => ({ type: "webhook", target: `https://hooks.example.gov.cn/${x.n}` }),
  },
  "POST /admin/settings/channels/:handle/delete": { action: "settings.manage", body: () => ({}) },
  "POST /admin/settings/units": {
    action: "settings.manage",
    body: (x) => ({ slug: `unit-${x.n}`, name: "下属科室" }),
  },
  "POST /admin/departments": {
    action: "departments.create",
    body: (x) => ({ slug: `dept-${x.n}`, name: "新部门" }),
  },
  // My account: API tokens and sessions of the signed-in user themself
  "GET /admin/account": { action: null },
  "POST /admin/account/tokens": { action: null, body: () => ({ name: "脚本", days: "30" }) },
  "POST /admin/account/tokens/:id/revoke": { action: null, body: () => ({}) },
  "POST /admin/account/sessions/revoke-all": { action: null, body: () => ({}) },
  // The audit log
  "GET /admin/audit": { action: "audit.read" },
  "GET /admin/audit/export.csv": { action: "audit.read" },
  // Reply templates
  "GET /admin/templates": { action: "templates.manage" },
  "POST /admin/templates": {
    action: "templates.manage",
    body: () => ({ title: "新模板", body: "模板内容" }),
  },
  "GET /admin/templates/:id": { action: "templates.manage" },
  "POST /admin/templates/:id": {
    action: "templates.manage",
    body: () => ({ title: "改过的模板", body: "新内容" }),
  },
  "POST /admin/templates/:id/delete": { action: "templates.manage", body: () => ({}) },
};

// ---------------------------------------------------------------------------------------------
// Department A, department B, and who acts

const A = {
  slug: "sec-a",
  name: "甲区安全测试局",
  formSlug: "sec-a-hall",
  subject: "甲局来信主题QX7",
  templateTitle: "甲局模板标题QX7",
  channelTarget: "https://hooks.a-only.example.gov.cn/robot",
};
const B = { slug: "sec-b", name: "乙区安全测试局" };

interface Cred {
  email: string;
  userId: string;
  token: string;
  cookie: string;
  csrf: string;
  deptId: string;
  deptName: string;
}

let aId: string;
let bId: string;
let caseCode: string;
let fixed: Record<string, string>;
const aEmails: string[] = [];
let counter = 0;
const uniq = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

async function sessionFor(userId: string, deptId: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = await createSession(
    db(),
    userId,
    deptId,
    { ip: null, userAgent: "security-test" },
    Date.now(),
  );
  const row = await env.DB.prepare("SELECT csrf_token FROM sessions WHERE id_hash = ?")
    .bind(await sha256Hex(cookie))
    .first<{ csrf_token: string }>();
  return { cookie, csrf: row!.csrf_token };
}

async function staff(deptId: string, deptName: string, email: string, role: Role): Promise<Cred> {
  const s = await seedStaff(deptId, email, role);
  return {
    email,
    userId: s.userId,
    token: s.token,
    deptId,
    deptName,
    ...(await sessionFor(s.userId, deptId)),
  };
}

/** A fresh session for the same user (a route like logout ends the one it is called with). */
async function refresh(c: Cred): Promise<Cred> {
  return { ...c, ...(await sessionFor(c.userId, c.deptId)) };
}

async function newTemplate(deptId: string, title: string): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    "INSERT INTO reply_templates (id, dept_id, title, body, created_by, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
  )
    .bind(id, deptId, title, "甲局模板内容", Date.now())
    .run();
  return id;
}

async function newChannel(deptId: string, target: string): Promise<string> {
  const { channelHandle } = await import("../functions/admin/settings.pages.tsx");
  const row = await env.DB.prepare("SELECT settings FROM departments WHERE id = ?").bind(deptId).first<{
    settings: string;
  }>();
  const settings = JSON.parse(row!.settings) as { channels?: { type: string; target: string }[] };
  const channel = { type: "webhook" as const, target };
  settings.channels = [...(settings.channels ?? []), channel];
  await env.DB.prepare("UPDATE departments SET settings = ? WHERE id = ?")
    .bind(JSON.stringify(settings), deptId)
    .run();
  return channelHandle(channel);
}

async function newToken(userId: string): Promise<string> {
  return storeApiToken(db(), { userId, tokenHash: await sha256Hex(crypto.randomUUID()), name: "test" });
}

async function newMember(deptId: string): Promise<string> {
  const email = `member-${uniq()}@a.sec.gov.cn`;
  const s = await seedStaff(deptId, email, "handler");
  return s.userId;
}

async function submitTo(deptSlug: string, answers: Record<string, unknown>): Promise<string> {
  const res = await postJson(
    `/api/v1/forms/${deptSlug}/opinion/submissions`,
    { answers },
    { "idempotency-key": crypto.randomUUID() },
  );
  const body = (await res.json()) as { trackingCode?: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.trackingCode!;
}

/**
 * Path parameters by name. `fixed` values name records seeded before the snapshot (used while A
 * must not change); `fresh` makes a new record of A for each request of the role matrix, so that
 * one role's permitted change (remove, delete) never decides another's outcome.
 */
const PARAMS: Record<string, { fixed: () => string; fresh: (who: Cred) => Promise<string> }> = {
  code: { fixed: () => fixed.code!, fresh: async () => fixed.code! },
  form: { fixed: () => fixed.form!, fresh: async () => fixed.form! },
  "users:id": { fixed: () => fixed.user!, fresh: () => newMember(aId) },
  "templates:id": { fixed: () => fixed.template!, fresh: () => newTemplate(aId, `甲局模板-${uniq()}`) },
  handle: {
    fixed: () => fixed.handle!,
    fresh: () => newChannel(aId, `https://hooks.a.example.gov.cn/${uniq()}`),
  },
  // A token of A's admin; in the matrix, a token of whoever revokes it (their own).
  "account:id": { fixed: () => fixed.token!, fresh: (who) => newToken(who.userId) },
};

/** The key of a parameter in PARAMS: its name, or `<first path segment after the prefix>:<name>` when names clash. */
function paramKey(path: string, name: string): string {
  const section = path.replace(/^\/(api\/v1\/)?admin\/?/, "").split("/")[0];
  return `${section}:${name}` in PARAMS ? `${section}:${name}` : name;
}

async function fillPath(path: string, fresh: Cred | null): Promise<string> {
  let out = path;
  for (const [, name] of path.matchAll(/:([A-Za-z_]+)/g)) {
    const p = PARAMS[paramKey(path, name!)];
    if (!p) throw new Error(`no value for :${name} in ${path}`);
    out = out.replace(`:${name}`, encodeURIComponent(fresh ? await p.fresh(fresh) : p.fixed()));
  }
  return out;
}

interface Hit {
  key: string;
  url: string;
  status: number;
  headers: Headers;
  text: string;
}
const allHits: Hit[] = [];

async function hit(
  route: { method: Method; path: string; key: string },
  who: Cred | null,
  opts: { fresh?: boolean } = {},
): Promise<Hit> {
  const url = await fillPath(route.path, opts.fresh && who ? who : null);
  const spec = ROUTES[route.key]!;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  const fields =
    route.method === "GET"
      ? undefined
      : (spec.body?.({ deptId: who?.deptId ?? aId, deptName: who?.deptName ?? "", n: uniq() }) ?? {});
  if (isApi(route.path)) {
    if (who) headers.authorization = `Bearer ${who.token}`;
    if (fields) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(fields);
    }
  } else {
    if (who) headers.cookie = `__Host-hy_session=${who.cookie}`;
    if (fields) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams({
        _csrf: who?.csrf ?? "",
        ...(fields as Record<string, string>),
      }).toString();
    }
  }
  const res = await call(url, { method: route.method, headers, body, redirect: "manual" });
  // Images too, as text: A's name must not be in any byte of them either.
  const text = new TextDecoder().decode(await res.arrayBuffer());
  const h: Hit = { key: route.key, url, status: res.status, headers: res.headers, text };
  allHits.push(h);
  return h;
}

/** Everything of A that must never reach B. */
function aSecrets(): string[] {
  return [
    A.name,
    A.subject,
    A.templateTitle,
    A.channelTarget,
    caseCode,
    formatTrackingCode(caseCode),
    ...aEmails,
  ];
}

/** Every row of department A that a staff action could touch, for a before/after comparison. */
async function snapshotA(): Promise<Record<string, unknown[]>> {
  const q = async (sql: string, ...binds: unknown[]) =>
    (
      await env.DB.prepare(sql)
        .bind(...binds)
        .all()
    ).results;
  const members = "SELECT user_id FROM memberships WHERE dept_id = ?";
  return {
    departments: await q("SELECT * FROM departments WHERE id = ? OR parent_id = ? ORDER BY id", aId, aId),
    forms: await q("SELECT * FROM forms WHERE dept_id = ? ORDER BY id", aId),
    cases: await q("SELECT * FROM cases WHERE dept_id = ? ORDER BY id", aId),
    case_events: await q("SELECT * FROM case_events WHERE dept_id = ? ORDER BY id", aId),
    users: await q(`SELECT * FROM users WHERE id IN (${members}) ORDER BY id`, aId),
    memberships: await q("SELECT * FROM memberships WHERE dept_id = ? ORDER BY user_id", aId),
    all_memberships_of_a_users: await q(
      `SELECT * FROM memberships WHERE user_id IN (${members}) ORDER BY user_id, dept_id`,
      aId,
    ),
    api_tokens: await q(`SELECT * FROM api_tokens WHERE user_id IN (${members}) ORDER BY id`, aId),
    sessions: await q(
      `SELECT id_hash, dept_id, revoked_at FROM sessions WHERE user_id IN (${members}) ORDER BY id_hash`,
      aId,
    ),
    reply_templates: await q("SELECT * FROM reply_templates WHERE dept_id = ? ORDER BY id", aId),
  };
}

const roles: Partial<Record<Role, Cred>> = {};
let bAdmin: Cred;

beforeAll(async () => {
  aId = await seedDept(A.slug, A.name);
  bId = await seedDept(B.slug, B.name);
  // A form only A has: B asking for it by name must get nothing.
  await upsertForm(db(), aId, opinionBox(A.slug, A.formSlug));
  for (const role of ["admin", "handler", "appraiser", "viewer"] as const) {
    roles[role] = await staff(aId, A.name, `${role}@a.sec.gov.cn`, role);
    aEmails.push(`${role}@a.sec.gov.cn`);
  }
  bAdmin = await staff(bId, B.name, "admin@b.sec.gov.cn", "admin");
  await staff(bId, B.name, "handler@b.sec.gov.cn", "handler");
  caseCode = await submitTo(
    A.slug,
    validOpinion({ subject: A.subject, body: "甲局的来信内容。", name: "张三", contact: "13800138000" }),
  );
  await submitTo(B.slug, validOpinion({ subject: "乙局来信", body: "乙局的来信内容。" }));
  const target = await newMember(aId);
  aEmails.push(
    (await env.DB.prepare("SELECT email FROM users WHERE id = ?").bind(target).first<{ email: string }>())!
      .email,
  );
  fixed = {
    code: caseCode,
    form: A.formSlug,
    user: target,
    template: await newTemplate(aId, A.templateTitle),
    handle: await newChannel(aId, A.channelTarget),
    token: await newToken(roles.admin!.userId),
  };
  // B has a template and a channel of its own, so B's pages are not empty.
  await newTemplate(bId, "乙局模板");
  await newChannel(bId, "https://hooks.b.example.gov.cn/robot");
  // A's audit log names A's people and records (a sign-in through the form, a reveal of the case):
  // B's audit pages must show none of it.
  await seedPasswordUser(aId, "signer@a.sec.gov.cn", "signer passphrase 1", "viewer");
  aEmails.push("signer@a.sec.gov.cn");
  expect((await signIn("signer@a.sec.gov.cn", "signer passphrase 1")).res.status).toBe(303);
  const reveal = await call(`/admin/cases/${caseCode}/reveal`, {
    method: "POST",
    headers: {
      cookie: `__Host-hy_session=${roles.admin!.cookie}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ _csrf: roles.admin!.csrf, reason: "核实" }).toString(),
  });
  expect(reveal.status).toBe(200);
});

// ---------------------------------------------------------------------------------------------

describe("the staff routes", () => {
  it("are all described here (action, body) and every path parameter has a value", () => {
    const routes = staffRoutes();
    expect(routes.length).toBeGreaterThan(10);
    const undescribed = routes.filter((r) => !(r.key in ROUTES)).map((r) => r.key);
    expect(undescribed, "add these routes to ROUTES in test/security.test.ts").toEqual([]);
    const unknownParams = routes.flatMap((r) =>
      [...r.path.matchAll(/:([A-Za-z_]+)/g)]
        .filter(([, name]) => !(paramKey(r.path, name!) in PARAMS))
        .map(([, name]) => `${r.key} (:${name})`),
    );
    expect(unknownParams, "add these path parameters to PARAMS in test/security.test.ts").toEqual([]);
    const missingBody = routes.filter((r) => r.method !== "GET" && !ROUTES[r.key]?.body).map((r) => r.key);
    expect(missingBody, "give these routes a plausible body in ROUTES").toEqual([]);
    const stale = Object.keys(ROUTES).filter((k) => !routes.some((r) => r.key === k));
    expect(stale, "these routes are described but no longer exist").toEqual([]);
  });
});

describe("tenancy: department B never reaches department A", () => {
  let before: Record<string, unknown[]>;
  beforeAll(async () => {
    before = await snapshotA();
  });

  it("(a) refuses every staff route without credentials", async () => {
    for (const route of describedRoutes()) {
      for (const who of [null, { ...bAdmin, token: "x".repeat(32), cookie: "y".repeat(43), csrf: "z" }]) {
        const h = await hit(route, who);
        const label = `${route.key} ${who ? "(forged credentials)" : "(none)"}`;
        if (isApi(route.path)) {
          expect(h.status, label).toBe(401);
          expect(h.headers.get("www-authenticate"), label).toMatch(/^Bearer/);
        } else if (route.method === "GET") {
          expect(h.status, label).toBe(303);
          expect(h.headers.get("location"), label).toMatch(/^\/admin\/login\?next=/);
        } else {
          expect(h.status, label).toBe(401);
        }
        for (const s of aSecrets()) expect(h.text.includes(s), `${label} shows ${s}`).toBe(false);
      }
    }
  });

  it("(b) gives B's admin 403 or 404 for A's records and none of A's data anywhere", async () => {
    for (const route of describedRoutes()) {
      const who = await refresh(bAdmin);
      const h = await hit(route, who);
      const label = `${route.key} as B's admin`;
      expect(h.status, label).toBeLessThan(500);
      if (route.path.includes(":")) expect([403, 404], `${label}: ${h.status}`).toContain(h.status);
      for (const s of aSecrets()) expect(h.text.includes(s), `${label} shows ${s}`).toBe(false);
    }
    // Asking for A by name in B's searches and switching into A.
    const probes = [
      `/admin/cases?q=${encodeURIComponent(A.subject)}`,
      `/admin/cases?q=${caseCode}`,
      `/admin/cases?q=${formatTrackingCode(caseCode)}`,
      `/admin/audit?actor=${encodeURIComponent(roles.admin!.email)}`,
      `/admin/audit/export.csv?actor=${encodeURIComponent(roles.admin!.email)}`,
      `/admin/audit?action=case`,
    ];
    const probe = await refresh(bAdmin);
    for (const url of probes) {
      const res = await call(url, { headers: { cookie: `__Host-hy_session=${probe.cookie}` } });
      expect(res.status, url).toBe(200);
      const text = await res.text();
      for (const s of aSecrets().filter((s) => !url.includes(encodeURIComponent(s)) && !url.includes(s))) {
        expect(text.includes(s), `${url} shows ${s}`).toBe(false);
      }
      expect(text).not.toContain("甲局的来信内容");
    }
    const api = await call(`/api/v1/admin/cases?q=${encodeURIComponent(A.subject)}`, {
      headers: { authorization: `Bearer ${bAdmin.token}` },
    });
    expect(((await api.json()) as { items: unknown[] }).items).toEqual([]);
    const s = await refresh(bAdmin);
    const sw = await call("/admin/switch-dept", {
      method: "POST",
      headers: {
        cookie: `__Host-hy_session=${s.cookie}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: s.csrf, dept: aId }).toString(),
      redirect: "manual",
    });
    expect(sw.status).toBe(403);
    expect(
      (await call("/admin/cases", { headers: { cookie: `__Host-hy_session=${s.cookie}` } })).status,
    ).toBe(200);
  });

  it("(c) leaves every row of department A as it was", async () => {
    const after = await snapshotA();
    for (const table of Object.keys(before)) {
      expect(after[table]!.length, `${table}: row count`).toBe(before[table]!.length);
      expect(after[table], table).toEqual(before[table]);
    }
    expect(before.cases!.length).toBe(1);
    expect(before.memberships!.length).toBe(6);
  });
});

describe("the role matrix of department A (from ACTIONS in functions/auth/permissions.ts)", () => {
  const matrix = ["admin", "handler", "appraiser", "viewer", "system admin"] as const;
  const may = (role: (typeof matrix)[number], action: Action) =>
    role === "system admin" || (ACTIONS[action] as readonly Role[]).includes(role);
  const cred: Partial<Record<(typeof matrix)[number], Cred>> = {};

  beforeAll(async () => {
    Object.assign(cred, roles);
    // A system admin working in A with a mere viewer role there: everything is allowed everywhere.
    const s = await seedStaff(aId, "root@sec.gov.cn", "viewer", true);
    cred["system admin"] = {
      email: "root@sec.gov.cn",
      userId: s.userId,
      token: s.token,
      deptId: aId,
      deptName: A.name,
      ...(await sessionFor(s.userId, aId)),
    };
  });

  it.each(matrix)("%s may do exactly what ACTIONS allows, on every route", async (role) => {
    const failures: string[] = [];
    const mayRead = may(role, "cases.read");
    for (const route of describedRoutes()) {
      const spec = ROUTES[route.key]!;
      const allowed = spec.action === null || may(role, spec.action);
      const who = await refresh(cred[role]!);
      const h = await hit(route, who, { fresh: true });
      const seesCase = h.text.includes(A.subject);
      const line = `${route.key} as ${role}: expected ${allowed ? "allowed" : "forbidden"}, got ${h.status}`;
      if (h.status >= 500) failures.push(`${line} (server error)`);
      else if (allowed) {
        // A page load sent to sign in was refused; after a sign-out, that is where a POST goes.
        const toLogin =
          route.method === "GET" &&
          h.status === 303 &&
          (h.headers.get("location") ?? "").startsWith("/admin/login");
        if ([401, 403, 404].includes(h.status) || toLogin) failures.push(line);
        else if (spec.listsCases && !seesCase) failures.push(`${line} but A's case is missing from the list`);
      } else if (spec.listsCases && isApi(route.path)) {
        // The API scopes lists to the departments where the caller may read: an empty list, not 403.
        if (!([403, 404].includes(h.status) || (h.status === 200 && !seesCase))) failures.push(line);
      } else if (![403, 404].includes(h.status)) failures.push(line);
      if (!mayRead && seesCase) failures.push(`${route.key} as ${role} shows A's case`);
    }
    expect(failures).toEqual([]);
  });
});

describe("response headers of the staff side", () => {
  it("every staff response is no-store; every admin page refuses framing", async () => {
    // Runs after the tenancy and matrix tests above (same file, in order): it checks what they got.
    expect(allHits.length).toBeGreaterThan(100);
    const problems: string[] = [];
    for (const h of allHits) {
      if (!(h.headers.get("cache-control") ?? "").includes("no-store")) {
        problems.push(`${h.key} ${h.status}: Cache-Control ${h.headers.get("cache-control")}`);
      }
      if (!isApi(h.url) && !/frame-ancestors 'none'/.test(h.headers.get("content-security-policy") ?? "")) {
        problems.push(`${h.key} ${h.status}: CSP ${h.headers.get("content-security-policy")}`);
      }
      if ((h.headers.get("content-type") ?? "").startsWith("text/html") && /<script/i.test(h.text)) {
        problems.push(`${h.key} ${h.status}: a script on an admin page`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("citizens' XSS payloads on the admin pages", () => {
  const SCRIPT = "<script>alert(1)</script>";
  const IMG = `"><img src=x onerror=alert(1)>`;
  const escaped = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

  it("appear escaped on the dashboard, the inbox, search results and the case page", async () => {
    const code = await submitTo(
      A.slug,
      validOpinion({
        subject: SCRIPT,
        body: `${IMG} ${SCRIPT}`,
        name: IMG,
        contact: "13800138000",
        publish: true,
      }),
    );
    // Overdue, so that the dashboard lists it too.
    await env.DB.prepare("UPDATE cases SET due_date = '2020-01-02' WHERE tracking_code = ?").bind(code).run();
    const who = await refresh(roles.handler!);
    const get = async (url: string) => {
      const res = await call(url, { headers: { cookie: `__Host-hy_session=${who.cookie}` } });
      expect(res.status, url).toBe(200);
      return res.text();
    };
    const pages: [string, string][] = [
      ["/admin", await get("/admin")],
      ["/admin/cases", await get("/admin/cases")],
      [`/admin/cases?q=${code}`, await get(`/admin/cases?q=${code}`)],
      ["/admin/cases?q=alert", await get(`/admin/cases?q=${encodeURIComponent("alert")}`)],
      [`/admin/cases/${code}`, await get(`/admin/cases/${code}`)],
    ];
    const revealed = await call(`/admin/cases/${code}/reveal`, {
      method: "POST",
      headers: {
        cookie: `__Host-hy_session=${who.cookie}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: who.csrf, reason: "核实身份" }).toString(),
    });
    expect(revealed.status).toBe(200);
    const revealedHtml = await revealed.text();
    pages.push([`/admin/cases/${code}/reveal`, revealedHtml]);
    expect(revealedHtml).toContain(escaped(IMG)); // the name, in clear, still escaped
    // The search box echoes what was typed.
    pages.push(["/admin/cases?q=<payload>", await get(`/admin/cases?q=${encodeURIComponent(IMG)}`)]);
    for (const [url, html] of pages) {
      expect(html, url).not.toContain(SCRIPT);
      expect(html, url).not.toContain("<img src=x");
      expect(html, url).not.toContain("<script");
      if (!url.endsWith("<payload>")) expect(html, `${url} lists the case`).toContain(escaped(SCRIPT));
    }
    expect(pages[4]![1]).toContain(escaped(IMG));
  });
});
