/**
 * The staff case API under /api/v1/admin. Every read and write is bounded by the caller's scope;
 * a case outside it is "not found", never "forbidden", so its existence does not leak.
 * Posting an event is the one way to change a case.
 */
import { and, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import * as v from "valibot";
import { translate } from "../../forms/messages.ts";
import {
  appendCaseEvent,
  type CaseRow,
  caseTimeline,
  findCaseInScope,
  listCases,
} from "../../schema/queries/cases.ts";
import { memberships, users } from "../../schema/tables.ts";
import { canHandle, readScope, requireStaff } from "../auth/staff-auth.ts";
import { audit } from "../lib/audit.ts";
import { decryptPersonal } from "../lib/crypto.ts";
import type { AppEnv, Env } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { maskContact } from "../lib/redact.ts";
import { normalizeTrackingCode } from "../lib/tracking-code.ts";
import { decodeCursor, encodeCursor } from "../public/public-api.routes.ts";
import { decideOpinion, type OpinionEvent } from "./opinion-machine.ts";

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
  const rows = await listCases(
    c.get("db"),
    readScope(c.get("staff")!),
    { kind: q.kind, state: q.state, from: bound(q.from, false), to: bound(q.to, true) },
    limit + 1,
    decodeCursor(q.cursor),
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return c.json({
    items: page.map(summary),
    nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
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
  if (!r.personalEnc || !env.DATA_KEY) return {};
  const data = JSON.parse(await decryptPersonal(env.DATA_KEY, r.personalEnc, r.id)) as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(data)) {
    out[k] =
      k === "contact"
        ? maskContact(val)
        : `${[...val][0] ?? ""}${"*".repeat(Math.max([...val].length - 1, 1))}`;
  }
  return out;
}

async function loadCase(c: import("hono").Context<AppEnv>): Promise<CaseRow> {
  const code = normalizeTrackingCode(c.req.param("code") ?? "");
  const row = code ? await findCaseInScope(c.get("db"), readScope(c.get("staff")!), code) : null;
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

const EventBody = v.variant(
  "type",
  [
    v.strictObject(
      { type: v.literal("assigned"), assignee: v.pipe(v.string("type_text"), v.trim(), v.email("email")) },
      "unknown_field",
    ),
    v.strictObject(
      {
        type: v.literal("replied"),
        text: v.pipe(
          v.string("type_text"),
          v.trim(),
          v.minLength(1, "required"),
          v.check((s) => [...s].length <= 10_000, "too_long:10000"),
        ),
      },
      "unknown_field",
    ),
    v.strictObject({ type: v.literal("published") }, "unknown_field"),
    v.strictObject({ type: v.literal("unpublished") }, "unknown_field"),
    v.strictObject({ type: v.literal("closed") }, "unknown_field"),
  ],
  "event_type",
);

/** Events a citizen sees on the tracking page (without who did them). */
const PUBLIC_EVENTS = new Set(["assigned", "replied", "closed"]);

adminCasesRoutes.post("/cases/:code/events", async (c) => {
  const staff = c.get("staff")!;
  const row = await loadCase(c);
  if (!canHandle(staff, row.deptId)) {
    await audit(c, { deptId: row.deptId, action: "case.event", target: row.trackingCode, result: "denied" });
    throw new AppError("forbidden", "您的角色不能办理案件", "Your role may not change cases");
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new AppError("bad_request", "请求内容不是有效的 JSON", "The body is not valid JSON", {
      issues: [{ path: "body", message: "JSON 格式错误", messageEn: "Malformed JSON" }],
    });
  }
  const parsed = v.safeParse(EventBody, json);
  if (!parsed.success) {
    throw new AppError("validation_failed", "事件内容有误", "Invalid event", {
      issues: parsed.issues.map((i) => {
        const [message, messageEn] =
          i.message === "event_type"
            ? [
                "type 应为 assigned、replied、published、unpublished 或 closed",
                "type must be assigned, replied, published, unpublished or closed",
              ]
            : translate(i.message);
        return { path: v.getDotPath(i) ?? "type", message, messageEn };
      }),
    });
  }
  const body = parsed.output;
  let event: OpinionEvent;
  let data: Record<string, unknown> = {};
  if (body.type === "assigned") {
    const assignee = await c
      .get("db")
      .select({ id: users.id })
      .from(users)
      .innerJoin(memberships, eq(memberships.userId, users.id))
      .where(
        and(
          eq(users.email, body.assignee.toLowerCase()),
          eq(memberships.deptId, row.deptId),
          inArray(memberships.role, ["admin", "handler"]),
        ),
      )
      .get();
    if (!assignee) {
      throw new AppError(
        "validation_failed",
        "被分派人不是本部门的办理人员",
        "The assignee is not a handler of this department",
        {
          issues: [
            {
              path: "assignee",
              message: "不是本部门的办理人员",
              messageEn: "Not a handler of this department",
            },
          ],
        },
      );
    }
    event = { type: "assigned", assigneeId: assignee.id };
    data = { assignee: body.assignee.toLowerCase() };
  } else if (body.type === "replied") {
    event = { type: "replied", text: body.text };
    data = { text: body.text };
  } else {
    event = { type: body.type };
  }

  const now = Date.now();
  const decision = decideOpinion(row, event, staff.userId, now);
  if (!decision.ok) {
    await audit(c, {
      deptId: row.deptId,
      action: `case.${event.type}`,
      target: row.trackingCode,
      result: "failed",
    });
    throw new AppError("invalid_transition", decision.message, decision.messageEn);
  }
  const applied = await appendCaseEvent(c.get("db"), row, decision.patch, {
    type: event.type,
    actorId: staff.userId,
    data,
    public: PUBLIC_EVENTS.has(event.type),
    createdAt: now,
  });
  if (!applied) {
    throw new AppError(
      "conflict",
      "该案件刚被其他人修改，请刷新后重试",
      "The case was changed meanwhile; reload and retry",
    );
  }
  await audit(c, {
    deptId: row.deptId,
    action: `case.${event.type}`,
    target: row.trackingCode,
    result: "ok",
  });
  const updated = await findCaseInScope(c.get("db"), readScope(staff), row.trackingCode);
  return c.json(summary(updated!), 201);
});
