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

export async function seedDept(slug = "demo", name = "演示区卫生健康局") {
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
