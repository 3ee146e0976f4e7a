/**
 * Sign-in through Cloudflare Access, for departments that put /admin behind their Access team:
 * Access sends `Cf-Access-Jwt-Assertion` (an RS256 JWT) with every request; when
 * ACCESS_TEAM_DOMAIN and ACCESS_AUD are set and the token checks out — signature against the
 * team's JWKS, `iss`, `aud`, `exp`/`nbf` — the user with the token's e-mail gets an ordinary
 * session. Access decides who reaches the Worker; Huiyin still decides what they may do (the user
 * must exist here, enabled, and their roles are Huiyin's).
 * https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
 */
import type { Context } from "hono";
import { findUserByEmail, principalFor } from "../../schema/queries/staff.ts";
import { audit } from "../lib/audit.ts";
import type { AppEnv, Env } from "../lib/env.ts";
import { createSession, firstDept } from "./sessions.ts";

export const ACCESS_HEADER = "cf-access-jwt-assertion";
/** Clock skew allowed on `exp` and `nbf`. */
export const LEEWAY_S = 60;
/** How long fetched signing keys are kept; Access rotates them every six weeks, with overlap. */
const JWKS_TTL_MS = 3_600_000;
/** An unknown `kid` refetches the keys, at most this often (a rotation, not every bad token). */
const REFETCH_MIN_MS = 60_000;

export interface AccessConfig {
  team: string;
  aud: string;
}

/** The Access settings, or null when this deployment does not use Access (or they are malformed). */
export function accessConfig(env: Env): AccessConfig | null {
  if (!env.ACCESS_TEAM_DOMAIN || !env.ACCESS_AUD) return null;
  try {
    const u = new URL(env.ACCESS_TEAM_DOMAIN);
    if (u.protocol !== "https:") return null;
    return { team: u.origin, aud: env.ACCESS_AUD };
  } catch {
    return null;
  }
}

type Jwk = JsonWebKey & { kid?: string };
interface KeySet {
  keys: Map<string, CryptoKey>;
  at: number;
}
const cache = new Map<string, KeySet>();

async function importKeys(jwks: unknown): Promise<Map<string, CryptoKey>> {
  const list = (jwks as { keys?: unknown })?.keys;
  const out = new Map<string, CryptoKey>();
  if (!Array.isArray(list)) return out;
  for (const k of list as Jwk[]) {
    if (k?.kty !== "RSA" || typeof k.kid !== "string" || (k.use && k.use !== "sig")) continue;
    try {
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: "RSA", n: k.n, e: k.e, alg: "RS256", ext: true },
        { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        false,
        ["verify"],
      );
      out.set(k.kid, key);
    } catch {
      // A key we cannot use is skipped; the others still verify.
    }
  }
  return out;
}

/** The signing key `kid` of the team: from ACCESS_JWKS when set (air-gapped, tests), else fetched. */
async function signingKey(env: Env, team: string, kid: string, now: number): Promise<CryptoKey | null> {
  const inline = env.ACCESS_JWKS;
  const source = inline ? `inline:${inline}` : `${team}/cdn-cgi/access/certs`;
  let set = cache.get(source);
  const stale = !set || now - set.at > JWKS_TTL_MS || (!set.keys.has(kid) && now - set.at > REFETCH_MIN_MS);
  if (stale) {
    let jwks: unknown = null;
    if (inline) {
      try {
        jwks = JSON.parse(inline);
      } catch {
        jwks = null;
      }
    } else {
      try {
        const res = await fetch(source, { redirect: "manual", headers: { accept: "application/json" } });
        if (res.ok) jwks = await res.json();
      } catch {
        jwks = null;
      }
    }
    // A failed fetch keeps the keys we had rather than locking everybody out.
    const keys = jwks ? await importKeys(jwks) : (set?.keys ?? new Map());
    set = { keys, at: now };
    cache.set(source, set);
  }
  return set?.keys.get(kid) ?? null;
}

function b64urlBytes(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

function b64urlJson(s: string): Record<string, unknown> | null {
  const bytes = b64urlBytes(s);
  if (!bytes) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export type AccessCheck =
  | { ok: true; email: string }
  | {
      ok: false;
      reason: "malformed" | "alg" | "key" | "signature" | "iss" | "aud" | "expired" | "not_yet" | "email";
    };

/**
 * Validates an Access JWT: RS256 only (no `none`, no HMAC with the public key), a known `kid`,
 * the signature, `iss` = the team domain, `aud` containing ACCESS_AUD, `exp` and `nbf` with
 * 60 s of leeway, and an `email` claim (service tokens have none and cannot sign in here).
 * @example await verifyAccessJwt(env, { team: "https://team.cloudflareaccess.com", aud }, jwt, Date.now())
 */
export async function verifyAccessJwt(
  env: Env,
  cfg: AccessConfig,
  jwt: string,
  now: number,
): Promise<AccessCheck> {
  const parts = jwt.split(".");
  if (parts.length !== 3 || jwt.length > 8192) return { ok: false, reason: "malformed" };
  const [h, p, s] = parts as [string, string, string];
  const header = b64urlJson(h);
  const claims = b64urlJson(p);
  const sig = b64urlBytes(s);
  if (!header || !claims || !sig) return { ok: false, reason: "malformed" };
  if (header.alg !== "RS256") return { ok: false, reason: "alg" };
  if (typeof header.kid !== "string") return { ok: false, reason: "key" };
  const key = await signingKey(env, cfg.team, header.kid, now);
  if (!key) return { ok: false, reason: "key" };
  const signed = new TextEncoder().encode(`${h}.${p}`);
  if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig, signed))) {
    return { ok: false, reason: "signature" };
  }
  if (typeof claims.iss !== "string" || claims.iss.replace(/\/$/, "") !== cfg.team) {
    return { ok: false, reason: "iss" };
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(cfg.aud)) return { ok: false, reason: "aud" };
  const t = now / 1000;
  if (typeof claims.exp !== "number" || claims.exp + LEEWAY_S <= t) return { ok: false, reason: "expired" };
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf - LEEWAY_S > t)) {
    return { ok: false, reason: "not_yet" };
  }
  if (typeof claims.email !== "string" || !claims.email.includes("@")) return { ok: false, reason: "email" };
  return { ok: true, email: claims.email.trim().toLowerCase() };
}

/**
 * For a request without a session: when Access is configured and the request carries a valid
 * assertion for an enabled user, starts a session and returns its cookie value; otherwise null
 * (the caller goes on to the sign-in page). Audited either way when an assertion was presented.
 */
export async function signInWithAccess(c: Context<AppEnv>): Promise<string | null> {
  const cfg = accessConfig(c.env);
  const jwt = c.req.header(ACCESS_HEADER);
  if (!cfg || !jwt) return null;
  const now = Date.now();
  const check = await verifyAccessJwt(c.env, cfg, jwt.trim(), now);
  if (!check.ok) {
    // The claims of a token that failed are not trusted, so none of them is logged.
    await audit(c, {
      deptId: null,
      action: "auth.sign_in",
      result: "denied",
      detail: { via: "access", reason: check.reason },
    });
    return null;
  }
  const db = c.get("db");
  const user = await findUserByEmail(db, check.email);
  const principal = user && !user.disabledAt ? await principalFor(db, user.id) : null;
  if (!user || !principal) {
    await audit(c, {
      deptId: null,
      action: "auth.sign_in",
      target: check.email,
      result: "denied",
      detail: {
        via: "access",
        reason: user ? "disabled" : "unknown_user",
        ...(user ? { userId: user.id } : {}),
      },
    });
    return null;
  }
  const dept = firstDept(principal);
  const token = await createSession(
    db,
    user.id,
    dept,
    { ip: c.req.header("cf-connecting-ip") ?? null, userAgent: c.req.header("user-agent") ?? null },
    now,
  );
  c.set("staff", principal);
  // In the department the session starts in, as a password sign-in is: its admins see it in their log.
  await audit(c, {
    deptId: dept,
    action: "auth.sign_in",
    target: check.email,
    result: "ok",
    detail: { via: "access" },
  });
  return token;
}
