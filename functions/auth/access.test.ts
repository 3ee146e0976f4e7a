import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { adminGet, call, devEnv, seedDept, seedPasswordUser } from "../../test/helpers.ts";
import type { Env } from "../lib/env.ts";

const TEAM = "https://huiyin-test.cloudflareaccess.com";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const KID = "test-key-1";

const b64url = (bytes: Uint8Array | ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const b64urlJson = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

async function keyPair() {
  return (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function sign(key: CryptoKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const signingInput = `${b64urlJson({ alg: "RS256", kid: KID, typ: "JWT", ...header })}.${b64urlJson(claims)}`;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${b64url(sig)}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe("sign-in through Cloudflare Access", () => {
  let keys: CryptoKeyPair;
  let accessEnv: Env;
  const claims = (over: Record<string, unknown> = {}) => ({
    aud: [AUD],
    email: "access.handler@demo.gov.cn",
    exp: now() + 3600,
    iat: now(),
    nbf: now(),
    iss: TEAM,
    type: "app",
    identity_nonce: "x",
    sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    country: "CN",
    ...over,
  });
  const withToken = (jwt: string, e: Env = accessEnv, method = "GET") =>
    call("/admin", { method, headers: { "cf-access-jwt-assertion": jwt }, redirect: "manual" }, e);
  const deniedReasons = async () =>
    (
      await env.DB.prepare(
        "SELECT detail FROM audit_log WHERE action = 'auth.sign_in' AND result = 'denied' ORDER BY id",
      ).all<{ detail: string }>()
    ).results.map((r) => JSON.parse(r.detail) as { via?: string; reason?: string });

  beforeAll(async () => {
    const dept = await seedDept();
    await seedPasswordUser(dept, "access.handler@demo.gov.cn", "unused password 123", "handler");
    const disabled = await seedPasswordUser(
      dept,
      "access.gone@demo.gov.cn",
      "unused password 123",
      "handler",
    );
    await env.DB.prepare("UPDATE users SET disabled_at = 1 WHERE id = ?").bind(disabled).run();
    keys = await keyPair();
    const jwk = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey;
    accessEnv = {
      ...devEnv(),
      ACCESS_TEAM_DOMAIN: TEAM,
      ACCESS_AUD: AUD,
      ACCESS_JWKS: JSON.stringify({ keys: [{ ...jwk, kid: KID, alg: "RS256", use: "sig" }] }),
    };
  });

  it("signs in the user named by a valid token, with a normal session, audited via access", async () => {
    const res = await withToken(await sign(keys.privateKey, claims({ email: "Access.Handler@demo.gov.cn" })));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("工作台");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-hy_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    // The cookie alone opens the pages afterwards, like any session.
    const cookie = /__Host-hy_session=([^;]+)/.exec(setCookie)![1]!;
    expect((await adminGet("/admin/cases", { cookie })).status).toBe(200);
    const row = await env.DB.prepare(
      "SELECT a.result, a.target, a.detail, a.actor_id, a.dept_id, u.email FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'auth.sign_in' AND a.result = 'ok' ORDER BY a.id DESC LIMIT 1",
    ).first<{ result: string; target: string; detail: string; email: string; dept_id: string }>();
    expect(row?.target).toBe("access.handler@demo.gov.cn");
    // Logged in the department the session starts in, so that department's admins see it.
    expect(row?.dept_id).toBe(await seedDept());
    expect(row?.email).toBe("access.handler@demo.gov.cn");
    expect(JSON.parse(row!.detail)).toEqual({ via: "access" });
    const sessions = await env.DB.prepare(
      "SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'access.handler@demo.gov.cn' AND s.revoked_at IS NULL",
    ).first<{ n: number }>();
    expect(sessions?.n).toBe(1);
  });

  it("accepts a token that expired within the 60 s leeway, and an aud given as a string", async () => {
    const res = await withToken(await sign(keys.privateKey, claims({ exp: now() - 30, aud: AUD })));
    expect(res.status).toBe(200);
  });

  it.each<[string, () => Promise<string>, string]>([
    ["another audience", () => sign(keys.privateKey, claims({ aud: ["someone-else"] })), "aud"],
    ["an expired token", () => sign(keys.privateKey, claims({ exp: now() - 120 })), "expired"],
    ["a token not valid yet", () => sign(keys.privateKey, claims({ nbf: now() + 600 })), "not_yet"],
    [
      "another issuer",
      () => sign(keys.privateKey, claims({ iss: "https://evil.cloudflareaccess.com" })),
      "iss",
    ],
    [
      "a bad signature (another key, same kid)",
      async () => sign((await keyPair()).privateKey, claims()),
      "signature",
    ],
    [
      "a changed payload",
      async () => {
        const [h, , s] = (await sign(keys.privateKey, claims())).split(".");
        return `${h}.${b64urlJson(claims({ email: "access.handler@demo.gov.cn", sys: 1 }))}.${s}`;
      },
      "signature",
    ],
    ["an unknown key id", () => sign(keys.privateKey, claims(), { kid: "other" }), "key"],
    ["alg none", async () => `${b64urlJson({ alg: "none", kid: KID })}.${b64urlJson(claims())}.`, "alg"],
    ["HS256", () => sign(keys.privateKey, claims(), { alg: "HS256" }), "alg"],
    ["garbage", async () => "not.a.jwt", "malformed"],
    ["no e-mail (a service token)", () => sign(keys.privateKey, claims({ email: undefined })), "email"],
    [
      "an unknown e-mail",
      () => sign(keys.privateKey, claims({ email: "nobody@demo.gov.cn" })),
      "unknown_user",
    ],
    [
      "a disabled user",
      () => sign(keys.privateKey, claims({ email: "access.gone@demo.gov.cn" })),
      "disabled",
    ],
  ])("does not sign in with %s (sign-in page instead, audited)", async (_, token, reason) => {
    const before = (await deniedReasons()).length;
    const res = await withToken(await token());
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?next=%2Fadmin");
    expect(res.headers.get("set-cookie")).toBeNull();
    const after = await deniedReasons();
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({ via: "access", reason });
  });

  it("ignores the header when Access is not configured", async () => {
    const jwt = await sign(keys.privateKey, claims());
    for (const e of [
      devEnv(),
      { ...accessEnv, ACCESS_AUD: "" },
      { ...accessEnv, ACCESS_TEAM_DOMAIN: "http://x" },
    ]) {
      const res = await withToken(jwt, e);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/admin\/login/);
    }
  });

  it("does not sign in on a state-changing request (no CSRF token could be valid yet)", async () => {
    const res = await call(
      "/admin/logout",
      {
        method: "POST",
        headers: {
          "cf-access-jwt-assertion": await sign(keys.privateKey, claims()),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "_csrf=x",
        redirect: "manual",
      },
      accessEnv,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});
