/**
 * Bot checks for public submissions. The default is a proof-of-work challenge (ALTCHA protocol,
 * verified by altcha-lib): the citizen's browser calls no third party, which matters because
 * government pages must not load third-party origins and reCAPTCHA is unreachable in mainland China.
 * Cloudflare Turnstile is an option. "off" is for local development and tests only.
 */
import { createChallenge, verifySolution } from "altcha-lib/v1";
import { sql } from "drizzle-orm";
import type { Db } from "../../schema/db.ts";
import { spentChallenges } from "../../schema/tables.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { type Env, isProduction } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";

export type BotCheckMode = "altcha" | "turnstile" | "off";

/** The mode in force. Production never runs with the check off: "off" there means the default. */
export function botCheckMode(env: Env): BotCheckMode {
  const wanted = env.BOT_CHECK === "turnstile" || env.BOT_CHECK === "off" ? env.BOT_CHECK : "altcha";
  if (wanted === "off" && isProduction(env)) {
    console.warn("BOT_CHECK=off is ignored in production; using the proof-of-work check");
    return "altcha";
  }
  return wanted;
}

/** Difficulty: the browser tries on average half of this many SHA-256 hashes (well under a second). */
export const ALTCHA_MAX_NUMBER = 20_000;
const CHALLENGE_TTL_MS = 10 * 60_000;

function altchaKey(env: Env): string {
  if (!env.ALTCHA_HMAC_KEY) {
    throw new AppError("internal", "服务配置不完整", "ALTCHA_HMAC_KEY is not configured");
  }
  return env.ALTCHA_HMAC_KEY;
}

export async function newAltchaChallenge(env: Env) {
  return createChallenge({
    hmacKey: altchaKey(env),
    maxNumber: ALTCHA_MAX_NUMBER,
    expires: new Date(Date.now() + CHALLENGE_TTL_MS),
  });
}

const failed = (en: string) =>
  new AppError("bot_check_failed", "人机验证未通过，请刷新页面后重试", `Bot check failed: ${en}`, {
    issues: [{ path: "botCheck", message: "人机验证未通过", messageEn: en }],
  });

/** A solution to record as spent, in the same batch as the submission it pays for. */
export interface SpentSolution {
  signature: string;
  expiresAt: number;
}

/**
 * Verifies the token that came with a submission; throws `bot_check_failed` (403) when it does not
 * pass. It writes nothing: a proof-of-work solution or a no-JS token is returned as `SpentSolution`
 * and recorded by the submission's own batch, so it is spent exactly when a submission is stored
 * (a second use fails that batch; see `isSpentConflict`). Turnstile tokens are single-use at
 * Cloudflare already.
 */
export async function verifyBotCheck(
  env: Env,
  token: string | undefined,
  ip: string,
): Promise<SpentSolution | null> {
  const mode = botCheckMode(env);
  if (mode === "off") return null;
  if (!token) throw failed("no bot-check token was sent");
  let spentKey = token;
  if (token.startsWith(NOJS_PREFIX)) {
    if (!(await verifyNoJsToken(env, token, Date.now())))
      throw failed("the form token is invalid, too fresh or expired");
  } else if (mode === "turnstile") {
    await verifyTurnstile(env, token, ip);
    return null;
  } else {
    let ok = false;
    try {
      ok = await verifySolution(token, altchaKey(env), true);
    } catch {
      ok = false;
    }
    if (!ok) throw failed("the proof-of-work solution is invalid or expired");
    // Spend the challenge, not the string: the same solution re-encoded (keys reordered, spaces, the
    // number as text) verifies again. The signature is the server's HMAC of the challenge.
    spentKey = `altcha:${(JSON.parse(atob(token)) as { signature: string }).signature}`;
  }
  return { signature: await sha256Hex(spentKey), expiresAt: Date.now() + NOJS_MAX_AGE_MS };
}

/** Whether a failed submission batch failed because its bot-check solution was already spent. */
export function isSpentConflict(error: unknown): boolean {
  return /UNIQUE constraint failed: spent_challenges/.test(String((error as Error)?.message ?? error));
}

export const alreadySpent = () => failed("this proof-of-work solution was already used");

/**
 * The fallback for browsers without JavaScript, which can solve neither proof of work nor
 * Turnstile: the rendered form carries a signed, single-use token that is valid from 3 seconds
 * (no human fills a form faster) to 2 hours after it was issued. With the rate limit and the
 * honeypot field this keeps scripted floods out while elderly citizens with JavaScript off still
 * get through.
 */
const NOJS_PREFIX = "nojs.";
export const NOJS_MIN_AGE_MS = 3_000;
export const NOJS_MAX_AGE_MS = 2 * 3_600_000;

async function hmacHex(key: string, data: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data)));
  return [...sig].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function issueNoJsToken(env: Env, now: number): Promise<string> {
  const body = `${now}.${crypto.randomUUID()}`;
  return `${NOJS_PREFIX}${body}.${await hmacHex(`nojs:${altchaKey(env)}`, body)}`;
}

async function verifyNoJsToken(env: Env, token: string, now: number): Promise<boolean> {
  const parts = token.slice(NOJS_PREFIX.length).split(".");
  if (parts.length !== 3) return false;
  const [issued, nonce, sig] = parts as [string, string, string];
  const age = now - Number(issued);
  if (!(age >= NOJS_MIN_AGE_MS && age <= NOJS_MAX_AGE_MS)) return false;
  return (await hmacHex(`nojs:${altchaKey(env)}`, `${issued}.${nonce}`)) === sig;
}

const SITEVERIFY = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

async function verifyTurnstile(env: Env, token: string, ip: string): Promise<void> {
  if (!env.TURNSTILE_SECRET)
    throw new AppError("internal", "服务配置不完整", "TURNSTILE_SECRET is not configured");
  const body = new FormData();
  body.set("secret", env.TURNSTILE_SECRET);
  body.set("response", token);
  if (ip) body.set("remoteip", ip);
  let outcome: { success?: boolean; "error-codes"?: string[] };
  try {
    const res = await fetch(env.TURNSTILE_VERIFY_URL || SITEVERIFY, {
      method: "POST",
      body,
      redirect: "manual",
    });
    outcome = (await res.json()) as typeof outcome;
  } catch {
    throw new AppError(
      "bot_check_failed",
      "人机验证服务暂时不可用，请稍后重试",
      "Turnstile could not be reached",
    );
  }
  if (!outcome.success)
    throw failed(`Turnstile refused the token (${(outcome["error-codes"] ?? []).join(", ")})`);
}

/** Deletes spent challenges that have expired anyway (scheduled). */
export async function purgeSpentChallenges(db: Db, now: number): Promise<void> {
  await db.delete(spentChallenges).where(sql`${spentChallenges.expiresAt} < ${now}`);
}
