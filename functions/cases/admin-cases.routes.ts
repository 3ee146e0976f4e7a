import { Hono } from "hono";
import * as v from "valibot";
import { translate } from "../../forms/messages.ts";
import { type CaseRow, caseTimeline, findCaseInScope } from "../../schema/queries/cases.ts";
import { scopeFor } from "../auth/permissions.ts";
import { requireStaff } from "../auth/staff-auth.ts";
import { decodeCursor } from "../lib/cursor.ts";
import type { AppEnv, Env } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { maskPersonalField } from "../lib/redact.ts";
import { normalizeTrackingCode } from "../lib/tracking-code.ts";
import { applyCaseEvent, parseCaseEvent } from "./case-events.ts";
import { inboxPage } from "./inbox.ts";
import { readPersonal } from "./personal-data.ts";

export const adminCasesRoutes = new Hono<AppEnv>();
adminCasesRoutes.use("*", requireStaff);

const PAGE_MAX = 100;

const dayOrInstant = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, "date"),
  v.check((s) => !Number.isNaN(Date.parse(s)), "date"),
);

const ListQuery = v.strictObject({
  kind: v.optional(v.picklist(["opinion", "disclosure"], "not_option")),
  state: v.optional(v.pipe(v.string(), v.regex(/^[a-z_]{1,30}$/, "not_option"))),
  from: v.optional(dayOrInstant),
  to: v.optional(dayOrInstant),
  cursor: v.optional(v.string()),
  q: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, "required"), v.maxLength(100, "too_long:100"))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, "type_rating"))),
});

function queryError(issues: v.BaseIssue<unknown>[]) {
  return new AppError("validation_failed", "查询参数有误", "Invalid query parameters", {
    issues: issues.map((i) => {
      const [message, messageEn] =
        i.message === "date"
          ? ["日期格式应为 YYYY-MM-DD", "Dates are YYYY-MM-DD or ISO 8601"]
          : translate(i.message);
      return { path: `query.${v.getDotPath(i) ?? ""}`, message, messageEn };
    }),
  });
}

/** A Beijing day `YYYY-MM-DD` as a bound: `from` is its first instant, `to` its last. */
function bound(s: string | undefined, end: boolean): number | undefined {
  if (!s) return undefined;
  if (s.length > 10) return Date.parse(s);
  const start = Date.parse(`${s}T00:00:00+08:00`);
  return end ? start + 86_400_000 - 1 : start;
}

adminCasesRoutes.get("/cases", async (c) => {
  const parsed = v.safeParse(ListQuery, c.req.query());
  if (!parsed.success) throw queryError(parsed.issues);
  const q = parsed.output;
  const limit = Math.min(Math.max(Number(q.limit ?? 20), 1), PAGE_MAX);
  const page = await inboxPage(
    c.get("db"),
    scopeFor(c.get("staff")!, "cases.read"),
    { kind: q.kind, state: q.state, from: bound(q.from, false), to: bound(q.to, true) },
    q.q,
    limit,
    decodeCursor(q.cursor),
  );
  return c.json({
    items: page.rows.map(summary),
    nextCursor: page.next,
    ...(page.searchPending ? { searchPending: page.searchPending } : {}),
  });
});

function summary(r: CaseRow) {
  return {
    trackingCode: r.trackingCode,
    kind: r.kind,
    state: r.state,
    category: r.category,
    subject: r.subject,
    dueDate: r.dueDate,
    published: r.published,
    assigneeId: r.assigneeId,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

async function maskedPersonal(env: Env, r: CaseRow): Promise<Record<string, string>> {
  const data = await readPersonal(env, r);
  return Object.fromEntries(Object.entries(data).map(([k, val]) => [k, maskPersonalField(k, val)]));
}

async function loadCase(c: import("hono").Context<AppEnv>): Promise<CaseRow> {
  const code = normalizeTrackingCode(c.req.param("code") ?? "");
  const row = code ? await findCaseInScope(c.get("db"), scopeFor(c.get("staff")!, "cases.read"), code) : null;
  if (!row) throw new AppError("not_found", "找不到该案件", "No such case");
  return row;
}

adminCasesRoutes.get("/cases/:code", async (c) => {
  const row = await loadCase(c);
  const timeline = await caseTimeline(c.get("db"), row.id);
  return c.json({
    ...summary(row),
    body: row.body,
    answers: row.answers,
    personal: await maskedPersonal(c.env, row),
    consentPublish: row.consentPublish,
    reply: row.replyText ? { text: row.replyText, at: new Date(row.repliedAt ?? 0).toISOString() } : null,
    timeline: timeline.map((e) => ({
      type: e.type,
      actorId: e.actorId,
      data: e.data,
      public: e.public,
      at: new Date(e.createdAt).toISOString(),
    })),
  });
});

adminCasesRoutes.post("/cases/:code/events", async (c) => {
  const row = await loadCase(c);
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new AppError("bad_request", "请求内容不是有效的 JSON", "The body is not valid JSON", {
      issues: [{ path: "body", message: "JSON 格式错误", messageEn: "Malformed JSON" }],
    });
  }
  const updated = await applyCaseEvent(c, row, parseCaseEvent(json));
  return c.json(summary(updated), 201);
});
