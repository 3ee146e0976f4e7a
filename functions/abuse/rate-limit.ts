import { type Env, isProduction } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";

/** Whether the Workers rate limiter applies. Production never turns it off. */
export function rateLimitOn(env: Env): boolean {
  return env.RATE_LIMIT !== "off" || isProduction(env);
}

/**
 * One submission slot per form and client from the `[[ratelimits]]` binding (per location,
 * approximate, as Cloudflare documents). Throws `rate_limited` (429) with Retry-After.
 */
export async function enforceSubmitRateLimit(env: Env, formId: string, client: string): Promise<void> {
  if (!rateLimitOn(env) || !env.SUBMIT_LIMITER) return;
  const { success } = await env.SUBMIT_LIMITER.limit({ key: `${formId}:${client}` });
  if (!success) {
    throw new AppError(
      "rate_limited",
      "提交过于频繁，请一分钟后再试",
      "Too many submissions; try again in a minute",
      {
        headers: { "Retry-After": "60" },
      },
    );
  }
}
