/**
 * Test helpers: a department with the built-in forms, staff with tokens, and requests through the
 * same app factory the Worker uses, against the real D1 of the vitest pool.
 */
import { env } from "cloudflare:test";
import { createApp } from "../functions/app.ts";
import { randomSecret, sha256Hex } from "../functions/lib/crypto.ts";
import type { Env } from "../functions/lib/env.ts";
import { createDb } from "../schema/db.ts";
import {
  createDepartment,
  createUser,
  grantRole,
  installBuiltinForms,
  storeApiToken,
} from "../schema/queries/bootstrap.ts";
import type { Role } from "../schema/tables.ts";

export const db = () => createDb(env.DB);

/** Local-development posture: bot check and rate limit off, as `npm start` runs. */
export const devEnv = (): Env => ({
  ...env,
  ENVIRONMENT: "development",
  BOT_CHECK: "off",
  RATE_LIMIT: "off",
});

const app = createApp();

/** A request through the app with a chosen env (defaults to local development). */
export function call(path: string, init: RequestInit = {}, e: Env = devEnv()): Promise<Response> {
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return Promise.resolve(app.request(`http://localhost${path}`, init, e, ctx));
}

/** The demo department with the built-in forms; returns the existing one when it is already there. */
export async function seedDept(slug = "demo", name = "演示区卫生健康局") {
  const existing = await env.DB.prepare("SELECT id FROM departments WHERE slug = ?")
    .bind(slug)
    .first<{ id: string }>();
  if (existing) return existing.id;
  const d = db();
  const id = await createDepartment(d, {
    slug,
    name,
    allowedOrigins: ["http://localhost:*", "http://127.0.0.1:*"],
  });
  await installBuiltinForms(d, id, slug);
  return id;
}

export async function seedStaff(deptId: string, email: string, role: Role, systemAdmin = false) {
  const d = db();
  const userId = await createUser(d, { email, passwordHash: "x", systemAdmin });
  await grantRole(d, userId, deptId, role);
  const token = randomSecret(24);
  await storeApiToken(d, { userId, tokenHash: await sha256Hex(token) });
  return { userId, token, auth: { authorization: `Bearer ${token}` } };
}

export const validOpinion = (over: Record<string, unknown> = {}) => ({
  kind: "suggest",
  subject: "建议延长周末门诊时间",
  body: "社区卫生服务中心周末只开半天，上班族很难就诊，建议延长到下午五点。",
  ...over,
});

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}, e?: Env) {
  return call(
    path,
    {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    e,
  );
}

export const SUBMIT = "/api/v1/forms/demo/opinion/submissions";

export async function submitOpinion(
  answers: Record<string, unknown> = validOpinion(),
  key = crypto.randomUUID(),
) {
  const res = await postJson(SUBMIT, { answers }, { "idempotency-key": key });
  return { res, body: (await res.json()) as Record<string, string> & { error?: unknown } };
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** A staff user with a known password (for the sign-in pages). */
export async function seedPasswordUser(
  deptId: string | null,
  email: string,
  password: string,
  role: Role = "handler",
  systemAdmin = false,
) {
  const { hashPassword } = await import("../functions/lib/crypto.ts");
  const d = db();
  const hash = await hashPassword(password);
  const existing = await env.DB.prepare("SELECT id FROM users WHERE email = ?")
    .bind(email.toLowerCase())
    .first<{ id: string }>();
  if (existing) {
    // Storage persists across the tests of a file: start each test from a clean account.
    await env.DB.prepare(
      "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, must_change_password = 0, system_admin = ? WHERE id = ?",
    )
      .bind(hash, systemAdmin ? 1 : 0, existing.id)
      .run();
    if (deptId) await grantRole(d, existing.id, deptId, role);
    return existing.id;
  }
  const userId = await createUser(d, { email, passwordHash: hash, systemAdmin });
  if (deptId) await grantRole(d, userId, deptId, role);
  return userId;
}

/** Signs in through the real form and returns the session cookie and the page's CSRF token. */
export async function signIn(email: string, password: string, e?: Env) {
  const res = await call(
    "/admin/login",
    {
      method: "POST",
      // A fresh client address per sign-in: the per-address limiter has its own test.
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}`,
      },
      body: new URLSearchParams({ email, password }).toString(),
      redirect: "manual",
    },
    e,
  );
  const cookie = /__Host-hy_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (!cookie) return { res, cookie: "", csrf: "" };
  const page = await call("/admin/password", { headers: { cookie: `__Host-hy_session=${cookie}` } }, e);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { res, cookie, csrf };
}

/** A form POST on an admin page with the session cookie and CSRF token. */
export function adminPost(
  path: string,
  s: { cookie: string; csrf: string },
  fields: Record<string, string>,
  e?: Env,
) {
  return call(
    path,
    {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `__Host-hy_session=${s.cookie}`,
      },
      body: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
      redirect: "manual",
    },
    e,
  );
}

export function adminGet(path: string, s: { cookie: string }, e?: Env) {
  return call(path, { headers: { cookie: `__Host-hy_session=${s.cookie}` }, redirect: "manual" }, e);
}
