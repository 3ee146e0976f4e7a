/**
 * The `audit-retention` job: deletes audit entries older than AUDIT_RETENTION_DAYS (default 365).
 * The law sets a floor, not a ceiling — 网络安全法 第二十一条: network logs are kept at least six
 * months — so a smaller or unreadable setting is clamped to 183 days, and the database's own trigger
 * refuses to delete anything younger whatever this code asks.
 */
import type { Db } from "../../schema/db.ts";
import { purgeAuditBefore } from "../../schema/queries/audit-log.ts";
import type { Env } from "../lib/env.ts";

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const MIN_AUDIT_RETENTION_DAYS = 183;
const DAY_MS = 86_400_000;
/** The trigger compares whole seconds against the clock: a minute's margin keeps the edge clear of it. */
const TRIGGER_MARGIN_MS = 60_000;

/**
 * The retention in days from the environment: a whole number, at least 183; anything unreadable
 * falls back to the default (a typo must never shorten retention).
 * @example auditRetentionDays("90") // => 183
 */
export function auditRetentionDays(raw: string | undefined): number {
  const text = raw?.trim() ?? "";
  if (!/^\d{1,6}$/.test(text)) return DEFAULT_AUDIT_RETENTION_DAYS;
  return Math.max(Number(text), MIN_AUDIT_RETENTION_DAYS);
}

/** Deletes entries older than the retention, measured back from `now` (never from a future clock). */
export async function runAuditRetention(db: Db, now: number, env: Env): Promise<number> {
  const days = auditRetentionDays(env.AUDIT_RETENTION_DAYS);
  const cutoff = Math.min(now, Date.now()) - days * DAY_MS - TRIGGER_MARGIN_MS;
  return purgeAuditBefore(db, cutoff);
}
