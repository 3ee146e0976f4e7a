/**
 * Staff authentication for the API: `Authorization: Bearer <token>`. Tokens are stored as their
 * SHA-256; the principal carries the departments and roles the caller has. The token's
 * `last_used_at` is written at most once a minute (principalForToken), so reads cost no write.
 */
import { createMiddleware } from "hono/factory";
import { principalForToken } from "../../schema/queries/staff.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";

export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+([A-Za-z0-9_-]{16,128})$/.exec(header);
  const principal = match ? await principalForToken(c.get("db"), match[1]!) : null;
  if (!principal) {
    throw new AppError("unauthorized", "请先登录或提供有效的访问令牌", "A valid bearer token is required", {
      // no-store here too: this answer never reaches the `c.header` after `next()` below.
      headers: { "WWW-Authenticate": 'Bearer realm="huiyin"', "Cache-Control": "no-store" },
    });
  }
  c.set("staff", principal);
  await next();
  c.header("Cache-Control", "no-store");
});
