import type { Context } from "hono";
import { auditLog } from "../../schema/tables.ts";
import type { AppEnv } from "./env.ts";

/** Appends one staff action to the audit log (who, what, which record, when, from where, result). */
export async function audit(
  c: Context<AppEnv>,
  entry: {
    deptId: string | null;
    action: string;
    target?: string;
    result: "ok" | "denied" | "failed";
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await c
    .get("db")
    .insert(auditLog)
    .values({
      deptId: entry.deptId,
      actorId: c.get("staff")?.userId ?? null,
      action: entry.action,
      target: entry.target ?? null,
      result: entry.result,
      ip: c.req.header("cf-connecting-ip") ?? null,
      requestId: c.get("requestId"),
      detail: entry.detail ?? null,
      createdAt: Date.now(),
    });
}
