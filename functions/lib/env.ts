/** Bindings and variables the Worker runs with (wrangler.toml, .dev.vars, secrets). */
export interface Env {
  DB: D1Database;
  SUBMIT_LIMITER?: RateLimit;
  /** Sign-in attempts per client address (on top of the per-account lockout). */
  LOGIN_LIMITER?: RateLimit;
  /** "altcha" (proof of work, default), "turnstile", or "off" (local development only). */
  BOT_CHECK?: string;
  /** "on" or "off" (local development only). */
  RATE_LIMIT?: string;
  /** "production", "development" or "test". */
  ENVIRONMENT?: string;
  /** base64 of 32 random bytes: AES-256-GCM key for personal data at rest. */
  DATA_KEY?: string;
  ALTCHA_HMAC_KEY?: string;
  TURNSTILE_SECRET?: string;
  TURNSTILE_SITE_KEY?: string;
  /** Where Turnstile's siteverify lives; tests point it at a local receiver. */
  TURNSTILE_VERIFY_URL?: string;
  /** Public origin of this deployment, used in printed links and the embed code. */
  PUBLIC_ORIGIN?: string;
  /** Cloudflare Access team domain, e.g. https://team.cloudflareaccess.com (sign-in through Access). */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's audience tag (AUD) that tokens must carry. */
  ACCESS_AUD?: string;
  /** The team's JWKS as JSON, instead of fetching {team}/cdn-cgi/access/certs (air-gapped, tests). */
  ACCESS_JWKS?: string;
  /** Days audit entries are kept (default 365; never below 183, 网络安全法 第二十一条). */
  AUDIT_RETENTION_DAYS?: string;
  TEST_MIGRATIONS?: unknown;
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  db: import("../../schema/db.ts").Db;
  lang: import("../../forms/language.ts").Lang;
  staff?: import("../../schema/queries/staff.ts").StaffPrincipal;
  /** Set on admin pages: the signed-in session (CSRF token, current department). */
  session?: import("../auth/sessions.ts").SessionInfo;
}

export type AppEnv = { Bindings: Env; Variables: Variables };

/** True outside local development and tests: protections may never be silently off there. */
export function isProduction(env: Env): boolean {
  return (env.ENVIRONMENT ?? "production") === "production";
}
