/**
 * Helpers for tests that drive cases through the public submit and the staff event API. Everything
 * goes through HTTP (the app factory) against the real D1 of the vitest pool; nothing is mocked.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { call, postJson, validOpinion } from "./helpers.ts";

/** The submissions endpoint of a department's opinion box. */
export const submitPath = (dept: string) => `/api/v1/forms/${dept}/opinion/submissions`;

/**
 * Submits an opinion to `dept` (development posture) and returns its tracking code; fails the test
 * unless the submission is stored (201).
 */
export async function newCase(
  answers: Record<string, unknown> = validOpinion(),
  dept = "demo",
): Promise<string> {
  const res = await postJson(submitPath(dept), { answers }, { "idempotency-key": crypto.randomUUID() });
  const body = (await res.json()) as { trackingCode?: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.trackingCode!;
}

/** `GET` with headers (e.g. the staff `Authorization`). */
export function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, { headers });
}

/** Posts one staff event on a case: `{ type: "assigned", assignee }`, `{ type: "replied", text }`, … */
export function postEvent(
  code: string,
  event: Record<string, unknown> | string,
  auth: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return postJson(`/api/v1/admin/cases/${code}/events`, event, { ...auth, ...headers });
}

/** Posts an event and fails the test unless it is accepted (201). */
export async function applyEvent(
  code: string,
  event: Record<string, unknown>,
  auth: Record<string, string>,
): Promise<void> {
  const res = await postEvent(code, event, auth);
  expect(res.status, `${JSON.stringify(event)} → ${await res.clone().text()}`).toBe(201);
}

/** A case that is replied to and published on the echo wall (the citizen consented). */
export async function publishedCase(
  auth: Record<string, string>,
  answers: Record<string, unknown> = validOpinion({ publish: true }),
  reply = "感谢您的建议，我们已研究落实。",
  dept = "demo",
): Promise<string> {
  const code = await newCase(answers, dept);
  await applyEvent(code, { type: "replied", text: reply }, auth);
  await applyEvent(code, { type: "published" }, auth);
  return code;
}

/** The Content-Security-Policy directive `name`, split into its sources. */
export function cspDirective(res: Response, name: string): string[] | undefined {
  const csp = res.headers.get("content-security-policy") ?? "";
  for (const part of csp.split(";")) {
    const [directive, ...sources] = part.trim().split(/\s+/);
    if (directive === name) return sources;
  }
  return undefined;
}

/** What hono/jsx makes of text content: the five characters it escapes. */
export function htmlEscaped(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Rows of a D1 query, straight from the database (for checking what was written). */
export async function rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
  const { results } = await env.DB.prepare(sql)
    .bind(...params)
    .all<T>();
  return results;
}
