import { and, eq, lt, or } from "drizzle-orm";
import type { Db } from "../../schema/db.ts";
import { jobLeases } from "../../schema/tables.ts";

/**
 * Takes the lease of a job for `ttlMs`, or returns false when another run holds it. Two runs of the
 * same cron, or a run and a manual trigger, never work at once.
 */
export async function takeLease(
  db: Db,
  job: string,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const rows = await db
    .insert(jobLeases)
    .values({ job, holder, expiresAt: now + ttlMs })
    .onConflictDoUpdate({
      target: jobLeases.job,
      set: { holder, expiresAt: now + ttlMs },
      setWhere: or(lt(jobLeases.expiresAt, now), eq(jobLeases.holder, holder)),
    })
    .returning({ holder: jobLeases.holder });
  return rows.length > 0 && rows[0]!.holder === holder;
}

export async function releaseLease(db: Db, job: string, holder: string): Promise<void> {
  await db.delete(jobLeases).where(and(eq(jobLeases.job, job), eq(jobLeases.holder, holder)));
}
