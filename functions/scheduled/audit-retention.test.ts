import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PURGE_BATCH } from "../../schema/queries/audit-log.ts";
import worker from "../index.ts";
import type { Env } from "../lib/env.ts";
import { auditRetentionDays } from "./audit-retention.ts";

const DAY = 86_400_000;

async function runCron(at: number, e: Env = env) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "0 18 * * *" }), e, ctx);
  await waitOnExecutionContext(ctx);
}

/** One entry per age (days back from now), tagged so each test sees only its own. */
async function insertAged(tag: string, ages: number[]) {
  const now = Date.now();
  await env.DB.batch(
    ages.map((age) =>
      env.DB.prepare(
        "INSERT INTO audit_log (dept_id, action, target, result, created_at) VALUES ('d', ?, ?, 'ok', ?)",
      ).bind(tag, String(age), now - age * DAY),
    ),
  );
}

async function agesLeft(tag: string): Promise<number[]> {
  const rows = await env.DB.prepare("SELECT target FROM audit_log WHERE action = ? ORDER BY id")
    .bind(tag)
    .all<{ target: string }>();
  return rows.results.map((r) => Number(r.target));
}

describe("audit retention days", () => {
  it.each([
    [undefined, 365],
    ["", 365],
    ["400", 400],
    [" 200 ", 200],
    ["183", 183],
    ["182", 183],
    ["90", 183],
    ["0", 183],
    ["-5", 365],
    ["abc", 365],
    ["1e3", 365],
    ["365.5", 365],
  ])("AUDIT_RETENTION_DAYS=%j keeps %i days", (raw, days) => {
    expect(auditRetentionDays(raw)).toBe(days);
  });
});

describe("the audit-retention job", () => {
  it("deletes entries older than 365 days by default and keeps the rest", async () => {
    await insertAged("ret.default", [400, 366, 364, 200, 1]);
    await runCron(Date.now());
    expect(await agesLeft("ret.default")).toEqual([364, 200, 1]);
    // A second run changes nothing and does not fail.
    await runCron(Date.now());
    expect(await agesLeft("ret.default")).toEqual([364, 200, 1]);
  });

  it("follows AUDIT_RETENTION_DAYS", async () => {
    await insertAged("ret.custom", [400, 250, 190, 100]);
    await runCron(Date.now(), { ...env, AUDIT_RETENTION_DAYS: "200" });
    expect(await agesLeft("ret.custom")).toEqual([190, 100]);
  });

  it("never goes below 183 days, whatever the setting, and the trigger is never hit", async () => {
    await insertAged("ret.floor", [184, 182, 30]);
    await runCron(Date.now(), { ...env, AUDIT_RETENTION_DAYS: "30" });
    expect(await agesLeft("ret.floor")).toEqual([182, 30]);
  });

  it("measures from the real clock, not from a scheduled time in the future", async () => {
    await insertAged("ret.future", [300]);
    await runCron(Date.now() + 400 * DAY);
    expect(await agesLeft("ret.future")).toEqual([300]);
  });

  it("deletes a large backlog in batches in one run", async () => {
    const n = PURGE_BATCH * 2 + 345;
    const old = Date.now() - 500 * DAY;
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
       INSERT INTO audit_log (dept_id, action, result, created_at) SELECT 'd', 'ret.bulk', 'ok', ? + i FROM seq`,
    )
      .bind(n, old)
      .run();
    await insertAged("ret.bulk-keep", [10]);
    await runCron(Date.now());
    const left = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'ret.bulk'").first<{
      n: number;
    }>();
    expect(left?.n).toBe(0);
    expect(await agesLeft("ret.bulk-keep")).toEqual([10]);
  });

  it("still cannot delete a young entry by hand: the database refuses", async () => {
    await insertAged("ret.trigger", [10]);
    await expect(env.DB.prepare("DELETE FROM audit_log WHERE action = 'ret.trigger'").run()).rejects.toThrow(
      /183 days/,
    );
    expect(await agesLeft("ret.trigger")).toEqual([10]);
  });
});
