/**
 * /admin/account: any signed-in user's own page — profile and roles, the link to change the
 * password, personal API tokens (shown once, stored as SHA-256) and the live sessions with
 * "sign out everywhere". Everything here is looked up by the signed-in user's id only.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie } from "hono/cookie";
import * as v from "valibot";
import {
  insertToken,
  listTokens,
  liveSessions,
  profileOf,
  revokeToken,
} from "../../schema/queries/account.ts";
import { IDLE_TIMEOUT_MS, revokeUserSessions, SESSION_COOKIE } from "../auth/sessions.ts";
import { audit } from "../lib/audit.ts";
import { randomSecret, sha256Hex } from "../lib/crypto.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { beijingTime } from "../widget/labels.ts";
import { isUuid, line, maskIp, parseForm, UNKNOWN_FIELD, wholeNumber } from "./admin-form.ts";
import { adminPage, Csrf } from "./admin-layout.tsx";
import { formFields } from "./admin-session.ts";
import { ROLE_LABEL } from "./users.pages.tsx";

export const accountPages = new Hono<AppEnv>();

export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;
/** Live tokens a user may hold at once: enough for a few integrations, few enough to review. */
export const MAX_LIVE_TOKENS = 20;
const DAY_MS = 86_400_000;

const TokenForm = v.strictObject({ name: line(60), days: wholeNumber(1, MAX_TOKEN_DAYS) }, UNKNOWN_FIELD);
const NoFields = v.strictObject({}, UNKNOWN_FIELD);
const LABELS: Record<string, string> = { name: "令牌名称", days: "有效天数" };

const FLASH: Record<string, string> = {
  "token-revoked": "令牌已撤销，使用它的请求将被拒绝。",
  role: "您的角色已修改。",
  left: "您已不在该部门。",
};

/** An API token: `hy_` and 24 random bytes (as the admin CLI makes them). */
export const newApiToken = () => `hy_${randomSecret(24)}`;

function deptOf(c: Context<AppEnv>): string | null {
  return c.get("session")?.deptId ?? null;
}

async function accountPage(
  c: Context<AppEnv>,
  o: { flash?: string; error?: string; status?: number; draft?: { name?: string; days?: string } } = {},
) {
  const db = c.get("db");
  const session = c.get("session")!;
  const now = Date.now();
  const profile = await profileOf(db, session.principal.userId);
  if (!profile) throw new AppError("unauthorized", "请重新登录", "Sign in again");
  const [tokens, live] = await Promise.all([
    listTokens(db, profile.id),
    liveSessions(db, profile.id, now, IDLE_TIMEOUT_MS),
  ]);
  return adminPage(
    c,
    { title: "我的账户", active: "/admin/account", flash: o.flash, error: o.error, status: o.status },
    <>
      <h1>我的账户</h1>
      <section class="panel">
        <h2>个人信息</h2>
        <dl>
          <dt>邮箱</dt>
          <dd>{profile.email}</dd>
          <dt>姓名</dt>
          <dd>{profile.name || <span class="muted">（未填写）</span>}</dd>
          {profile.systemAdmin ? (
            <>
              <dt>系统角色</dt>
              <dd>系统管理员（可管理所有部门）</dd>
            </>
          ) : null}
        </dl>
        <h3>各部门角色</h3>
        {profile.roles.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">部门</th>
                <th scope="col">标识</th>
                <th scope="col">角色</th>
              </tr>
            </thead>
            <tbody>
              {profile.roles.map((r) => (
                <tr>
                  <td>
                    {r.deptName}
                    {r.deptId === session.deptId ? <span class="tag">当前</span> : null}
                  </td>
                  <td>
                    <code>{r.slug}</code>
                  </td>
                  <td>{ROLE_LABEL[r.role] ?? r.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">您目前在任何部门都没有角色，请联系部门管理员。</p>
        )}
        <p>
          <a href="/admin/password">修改密码</a>
        </p>
      </section>

      <section class="panel">
        <h2>API 令牌</h2>
        <p class="muted">
          供其他系统以您的身份调用回音的接口（请求头 Authorization: Bearer
          令牌），权限与您的角色相同。令牌只在创建时显示一次。
        </p>
        {tokens.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">名称</th>
                <th scope="col">创建时间</th>
                <th scope="col">到期时间</th>
                <th scope="col">最近使用</th>
                <th scope="col">状态</th>
                <th scope="col">操作</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const expired = t.expiresAt !== null && t.expiresAt <= now;
                return (
                  <tr>
                    <td>{t.name}</td>
                    <td>{beijingTime(t.createdAt)}</td>
                    <td>{t.expiresAt ? beijingTime(t.expiresAt) : "不过期"}</td>
                    <td>{t.lastUsedAt ? beijingTime(t.lastUsedAt) : <span class="muted">从未使用</span>}</td>
                    <td>
                      {t.revokedAt ? (
                        `已撤销（${beijingTime(t.revokedAt)}）`
                      ) : expired ? (
                        <span class="overdue">已过期</span>
                      ) : (
                        "有效"
                      )}
                    </td>
                    <td>
                      {t.revokedAt ? null : (
                        <form method="post" action={`/admin/account/tokens/${t.id}/revoke`} class="inline">
                          <Csrf c={c} />
                          <button type="submit" class="danger">
                            撤销
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p class="muted">还没有 API 令牌。</p>
        )}
        <form method="post" action="/admin/account/tokens" class="filters">
          <Csrf c={c} />
          <div>
            <label for="tk-name">名称（用途）</label>
            <input id="tk-name" name="name" required maxlength={60} value={o.draft?.name ?? ""} />
          </div>
          <div>
            <label for="tk-days">有效天数（1–{MAX_TOKEN_DAYS}）</label>
            <input
              id="tk-days"
              name="days"
              type="number"
              min={1}
              max={MAX_TOKEN_DAYS}
              required
              value={o.draft?.days ?? String(DEFAULT_TOKEN_DAYS)}
            />
          </div>
          <div>
            <button type="submit">创建令牌</button>
          </div>
        </form>
      </section>

      <section class="panel">
        <h2>登录会话</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">登录时间</th>
              <th scope="col">最近活动</th>
              <th scope="col">来源</th>
              <th scope="col">浏览器</th>
            </tr>
          </thead>
          <tbody>
            {live.map((s) => (
              <tr>
                <td>
                  {beijingTime(s.createdAt)}
                  {s.idHash === session.idHash ? <span class="tag">本机</span> : null}
                </td>
                <td>{beijingTime(s.lastSeenAt)}</td>
                <td>{maskIp(s.ip) || <span class="muted">未知</span>}</td>
                <td>{(s.userAgent ?? "").slice(0, 80)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <form method="post" action="/admin/account/sessions/revoke-all">
          <Csrf c={c} />
          <p>
            <button type="submit" class="danger">
              退出所有设备（包括本机）
            </button>
          </p>
        </form>
      </section>
    </>,
  );
}

accountPages.get("/account", (c) => accountPage(c, { flash: FLASH[c.req.query("flash") ?? ""] }));

accountPages.post("/account/tokens", async (c) => {
  const db = c.get("db");
  const userId = c.get("staff")!.userId;
  const fields = await formFields(c);
  const parsed = parseForm(TokenForm, fields, LABELS);
  if (!parsed.ok) {
    await audit(c, {
      deptId: deptOf(c),
      action: "account.token_create",
      result: "failed",
      detail: { reason: "invalid", fields: parsed.fields },
    });
    return accountPage(c, { error: parsed.error, status: 400, draft: fields });
  }
  const now = Date.now();
  const live = (await listTokens(db, userId)).filter(
    (t) => !t.revokedAt && (t.expiresAt === null || t.expiresAt > now),
  );
  if (live.length >= MAX_LIVE_TOKENS) {
    await audit(c, {
      deptId: deptOf(c),
      action: "account.token_create",
      result: "failed",
      detail: { reason: "too_many" },
    });
    return accountPage(c, {
      error: `有效令牌最多 ${MAX_LIVE_TOKENS} 个，请先撤销不用的令牌。（At most ${MAX_LIVE_TOKENS} live tokens.）`,
      status: 409,
    });
  }
  const token = newApiToken();
  const expiresAt = now + parsed.value.days * DAY_MS;
  const id = await insertToken(db, {
    userId,
    tokenHash: await sha256Hex(token),
    name: parsed.value.name,
    expiresAt,
    now,
  });
  await audit(c, {
    deptId: deptOf(c),
    action: "account.token_create",
    target: id,
    result: "ok",
    detail: { name: parsed.value.name, days: parsed.value.days },
  });
  return adminPage(
    c,
    { title: "已创建 API 令牌", active: "/admin/account" },
    <div class="narrow-wide">
      <h1>已创建 API 令牌</h1>
      <p>
        令牌「{parsed.value.name}」，有效期至 {beijingTime(expiresAt)}（北京时间）。请立即复制保存，
        <strong>它只显示这一次</strong>，系统只保存它的摘要，无法找回：
      </p>
      <p class="once">
        <code>{token}</code>
      </p>
      <p class="muted">
        调用接口时放在请求头中：Authorization: Bearer 令牌。不再需要时请在「我的账户」中撤销。
      </p>
      <p>
        <a href="/admin/account">返回我的账户</a>
      </p>
    </div>,
  );
});

accountPages.post("/account/tokens/:id/revoke", async (c) => {
  const id = c.req.param("id");
  const parsed = parseForm(NoFields, await formFields(c), LABELS);
  if (!parsed.ok) return accountPage(c, { error: parsed.error, status: 400 });
  const row = isUuid(id) ? await revokeToken(c.get("db"), c.get("staff")!.userId, id, Date.now()) : null;
  if (!row) {
    await audit(c, {
      deptId: deptOf(c),
      action: "account.token_revoke",
      target: id,
      result: "failed",
      detail: { reason: "not_found" },
    });
    throw new AppError("not_found", "没有这个令牌，或它已被撤销", "No such live token");
  }
  await audit(c, {
    deptId: deptOf(c),
    action: "account.token_revoke",
    target: row.id,
    result: "ok",
    detail: { name: row.name },
  });
  return c.redirect("/admin/account?flash=token-revoked", 303);
});

accountPages.post("/account/sessions/revoke-all", async (c) => {
  const parsed = parseForm(NoFields, await formFields(c), LABELS);
  if (!parsed.ok) return accountPage(c, { error: parsed.error, status: 400 });
  await revokeUserSessions(c.get("db"), c.get("staff")!.userId, Date.now());
  await audit(c, { deptId: deptOf(c), action: "account.sign_out_everywhere", result: "ok" });
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
  return c.redirect("/admin/login", 303);
});
