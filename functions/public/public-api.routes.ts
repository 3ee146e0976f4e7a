/** The public JSON API under /api/v1: form definitions, submissions, tracking and the echo wall. */

import type { Context } from "hono";
import { Hono } from "hono";
import { answersFromForm } from "../../forms/compile.ts";
import type { Lang } from "../../forms/language.ts";
import { findPublicCase, listEchoWall } from "../../schema/queries/cases.ts";
import { findDepartmentBySlug, findFormCached, type LoadedForm } from "../../schema/queries/forms.ts";
import { newAltchaChallenge } from "../abuse/bot-check.ts";
import { parseEnvelope, readBody } from "../lib/body.ts";
import { decodeCursor, encodeCursor } from "../lib/cursor.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { redactText } from "../lib/redact.ts";
import { formatTrackingCode, normalizeTrackingCode } from "../lib/tracking-code.ts";
import { submit } from "../submissions/submit.ts";

export const publicApiRoutes = new Hono<AppEnv>();

export async function loadForm(c: Context<AppEnv>): Promise<LoadedForm> {
  const form = await findFormCached(c.get("db"), c.req.param("dept") ?? "", c.req.param("form") ?? "");
  if (!form) throw new AppError("not_found", "找不到该表单", "No such form");
  return form;
}

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "local";
}

publicApiRoutes.get("/forms/:dept/:form", async (c) => {
  const form = await loadForm(c);
  c.header("Cache-Control", "public, max-age=60");
  return c.json({ status: form.status, definition: form.definition });
});

/**
 * Takes a submission as JSON `{ answers, lang?, botCheck? }` or as a plain form post. The
 * Idempotency-Key header (or the no-JS form's `_idempotency` field) is required.
 */
publicApiRoutes.post("/forms/:dept/:form/submissions", async (c) => {
  const form = await loadForm(c);
  const body = await readBody(c);
  let answers: unknown;
  let lang: Lang = c.get("lang");
  let botToken: string | undefined;
  let key = c.req.header("idempotency-key");
  if (body.type === "json") {
    const env = parseEnvelope(body.value);
    answers = env.answers;
    lang = env.lang ?? lang;
    botToken = env.botCheck;
  } else {
    answers = answersFromForm(form.definition, body.value);
    const formLang = body.value.get("_lang");
    if (formLang === "en" || formLang === "zh-CN") lang = formLang;
    botToken = (body.value.get("altcha") ?? body.value.get("cf-turnstile-response") ?? undefined) as
      | string
      | undefined;
    key ??= (body.value.get("_idempotency") as string | null) ?? undefined;
  }
  const outcome = await submit(c.env, c.get("db"), form, {
    answers,
    lang,
    idempotencyKey: key,
    botToken,
    clientIp: clientIp(c),
  });
  if (outcome.replayed) c.header("Idempotent-Replayed", "true");
  c.header("Cache-Control", "no-store");
  return c.json(outcome.body, outcome.status as 201);
});

/** Status, public timeline and reply of a case. Never personal data, never the citizen's text. */
publicApiRoutes.get("/track/:code", async (c) => {
  const code = normalizeTrackingCode(c.req.param("code"));
  const found = code ? await findPublicCase(c.get("db"), code) : null;
  if (!found) throw new AppError("not_found", "查询码不存在，请核对后重试", "No case has this tracking code");
  c.header("Cache-Control", "no-store");
  return c.json({
    trackingCode: found.trackingCode,
    display: formatTrackingCode(found.trackingCode),
    kind: found.kind,
    category: found.category,
    status: found.state,
    submittedAt: new Date(found.createdAt).toISOString(),
    dueDate: found.dueDate,
    timeline: found.timeline.map((e) => ({ type: e.type, at: new Date(e.at).toISOString() })),
    reply: found.replyText
      ? { text: found.replyText, at: new Date(found.repliedAt ?? 0).toISOString() }
      : null,
  });
});

const ECHO_PAGE = 20;

export async function echoWallPage(c: Context<AppEnv>) {
  const dept = await findDepartmentBySlug(c.get("db"), c.req.param("dept") ?? "");
  if (!dept) throw new AppError("not_found", "找不到该部门", "No such department");
  const cursor = decodeCursor(c.req.query("cursor"));
  const rows = await listEchoWall(c.get("db"), dept.id, ECHO_PAGE + 1, cursor);
  const page = rows.slice(0, ECHO_PAGE);
  const last = page.at(-1);
  return {
    dept: { slug: dept.slug, name: dept.name },
    items: page.map((r) => ({
      id: r.id,
      category: r.category,
      subject: redactText(r.subject),
      body: redactText(r.body),
      reply: r.replyText ?? "",
      submittedOn: new Date(r.createdAt).toISOString().slice(0, 10),
      repliedAt: r.repliedAt ? new Date(r.repliedAt).toISOString() : null,
      publishedAt: new Date(r.publishedAt ?? 0).toISOString(),
    })),
    nextCursor: rows.length > ECHO_PAGE && last ? encodeCursor(last.publishedAt ?? 0, last.id) : null,
  };
}

publicApiRoutes.get("/echo-wall/:dept", async (c) => {
  c.header("Cache-Control", "public, max-age=30");
  return c.json(await echoWallPage(c));
});

/** A fresh proof-of-work challenge for the widget (ALTCHA protocol). */
publicApiRoutes.get("/challenge", async (c) => {
  c.header("Cache-Control", "no-store");
  return c.json(await newAltchaChallenge(c.env));
});
