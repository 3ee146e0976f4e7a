/**
 * The scheduled worker (Cron Triggers, UTC). Each job takes a lease, so running twice or
 * concurrently is safe. Later issues add the statistics rollup, clocks, follow-ups and the outbox.
 */
import { lt } from "drizzle-orm";
import { createDb, type Db } from "../../schema/db.ts";
import { catchUpSearchIndex } from "../../schema/queries/search-index.ts";
import { idempotencyKeys } from "../../schema/tables.ts";
import { purgeSpentChallenges } from "../abuse/bot-check.ts";
import type { Env } from "../lib/env.ts";
import { runAuditRetention } from "./audit-retention.ts";
import { releaseLease, takeLease } from "./lease.ts";

/** Cases one run of the scheduled worker indexes at most (about 1 s of CPU for typical letters). */
export const SEARCH_INDEX_PER_RUN = 50_000;

/** Idempotency records are kept 7 days: far longer than any client retries. */
export const IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;

export const JOBS: Record<string, (db: Db, now: number, env: Env) => Promise<void>> = {
  housekeeping: async (db, now) => {
    await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, now - IDEMPOTENCY_RETENTION_MS));
    await purgeSpentChallenges(db, now);
  },
  // Cases that arrived or changed since the last search or run get into the full-text index; a
  // backlog larger than one run's share (after an upgrade) is taken over the next runs.
  "search-index": async (db) => {
    await catchUpSearchIndex(db, { maxCases: SEARCH_INDEX_PER_RUN });
  },
  "audit-retention": async (db, now, env) => {
    await runAuditRetention(db, now, env);
  },
};

export async function runScheduled(env: Env, scheduledTime: number, _cron: string): Promise<string[]> {
  const db = createDb(env.DB);
  const holder = crypto.randomUUID();
  const ran: string[] = [];
  for (const [name, job] of Object.entries(JOBS)) {
    if (!(await takeLease(db, name, holder, scheduledTime, 5 * 60_000))) continue;
    try {
      await job(db, scheduledTime, env);
      ran.push(name);
    } finally {
      await releaseLease(db, name, holder);
    }
  }
  return ran;
}
