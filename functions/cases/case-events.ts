/**
 * The one write path of a case: an event, parsed from JSON (API) or a form (admin pages), checked
 * against the caller's role and the opinion state machine, appended with its change in one batch,
 * and audited whatever the outcome.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import * as v from "valibot";
import { translate } from "../../forms/messages.ts";
import { appendCaseEvent, type CaseRow, findCaseInScope } from "../../schema/queries/cases.ts";
import { memberships, users } from "../../schema/tables.ts";
import { can, scopeFor } from "../auth/permissions.ts";
import { audit } from "../lib/audit.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { decideOpinion, type OpinionEvent } from "./opinion-machine.ts";

export const EventBody = v.variant(
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

export type CaseEventInput = v.InferOutput<typeof EventBody>;

/** Events a citizen sees on the tracking page (without who did them). */
const PUBLIC_EVENTS = new Set(["assigned", "replied", "closed"]);

export function parseCaseEvent(json: unknown): CaseEventInput {
  const parsed = v.safeParse(EventBody, json);
  if (parsed.success) return parsed.output;
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

/** Applies an event to a case the caller can already read; returns the case as it is now. */
export async function applyCaseEvent(
  c: Context<AppEnv>,
  row: CaseRow,
  body: CaseEventInput,
): Promise<CaseRow> {
  const staff = c.get("staff")!;
  if (!can(staff, row.deptId, "cases.handle")) {
    await audit(c, {
      deptId: row.deptId,
      action: `case.${body.type}`,
      target: row.trackingCode,
      result: "denied",
    });
    throw new AppError("forbidden", "您的角色不能办理案件", "Your role may not change cases");
  }
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
  const updated = await findCaseInScope(c.get("db"), scopeFor(staff, "cases.read"), row.trackingCode);
  return updated!;
}
