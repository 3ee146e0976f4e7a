import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../schema/db.ts";
import { searchPhrase } from "../../schema/search-catch-up.ts";
import worker from "../index.ts";
import { releaseLease, takeLease } from "./lease.ts";
import { IDEMPOTENCY_RETENTION_MS } from "./scheduled.ts";

async function runCron(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/10 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("scheduled worker", () => {
  it("purges idempotency records and spent challenges past their retention, and keeps the rest", async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO idempotency_keys (form_id, key, request_hash, status, created_at) VALUES ('f', 'old', 'h', 'done', ?)",
      ).bind(now - IDEMPOTENCY_RETENTION_MS - 1),
      env.DB.prepare(
        "INSERT INTO idempotency_keys (form_id, key, request_hash, status, created_at) VALUES ('f', 'new', 'h', 'done', ?)",
      ).bind(now - 1000),
      env.DB.prepare(
        "INSERT INTO spent_challenges (signature, expires_at) VALUES ('gone', ?), ('live', ?)",
      ).bind(now - 1, now + 60_000),
    ]);
    await runCron(now);
    const keys = await env.DB.prepare("SELECT key FROM idempotency_keys ORDER BY key").all();
    expect(keys.results).toEqual([{ key: "new" }]);
    const spent = await env.DB.prepare("SELECT signature FROM spent_challenges").all();
    expect(spent.results).toEqual([{ signature: "live" }]);
    // A second run changes nothing and does not fail.
    await runCron(now);
    expect(
      (await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys").first<{ n: number }>())?.n,
    ).toBe(1);
  });

  it("brings the full-text index up to date with the cases that arrived since the last run", async () => {
    const match = async () =>
      (
        await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?")
          .bind(searchPhrase("夜间门诊"))
          .all()
      ).results.length;
    await env.DB.prepare(
      "INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, subject, body, answers, due_date, created_at, updated_at) VALUES ('s1','d','f','opinion','SSSSSSSSSSSS','received','建议','希望增设夜间门诊','{}','2026-12-01',1,1)",
    ).run();
    expect(await match()).toBe(0);
    await runCron(Date.now());
    expect(await match()).toBe(1);
    await runCron(Date.now() + 600_000);
    expect(await match()).toBe(1);
  });

  it("skips a job whose lease another run holds, and takes it once the lease has expired", async () => {
    const db = createDb(env.DB);
    const now = Date.now();
    expect(await takeLease(db, "housekeeping", "other-run", now, 60_000)).toBe(true);
    expect(await takeLease(db, "housekeeping", "second-run", now, 60_000)).toBe(false);
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (form_id, key, request_hash, status, created_at) VALUES ('f', 'stale', 'h', 'done', 1)",
    ).run();
    await runCron(now);
    // The other run holds the lease: the record is still there.
    expect(
      await env.DB.prepare("SELECT key FROM idempotency_keys WHERE key = 'stale'").first(),
    ).not.toBeNull();
    await runCron(now + 61_000);
    expect(await env.DB.prepare("SELECT key FROM idempotency_keys WHERE key = 'stale'").first()).toBeNull();
    await releaseLease(db, "housekeeping", "other-run");
  });
});
