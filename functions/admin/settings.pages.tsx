/**
 * /admin/settings: the current department's name, the sites allowed to embed its widgets, its reply
 * norms, its notification channels and its sub-units (科室 / 直属单位); a system admin also creates
 * top-level departments here. /admin/templates: the department's reply templates, which handlers
 * manage too (the case page's 套用答复模板).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import * as v from "valibot";
import { createDepartment, grantRole, installBuiltinForms } from "../../schema/queries/bootstrap.ts";
import {
  type DepartmentRow,
  departmentAncestors,
  departmentTree,
  getDepartment,
  renameDepartment,
  replaceChannels,
  setAllowedOrigins,
  setReplyNorms,
  slugTaken,
  type TreeNode,
} from "../../schema/queries/departments.ts";
import {
  createTemplate,
  deleteTemplate,
  findTemplate,
  listTemplates,
  type TemplateRow,
  updateTemplate,
} from "../../schema/queries/templates.ts";
import type { NotificationChannel } from "../../schema/tables.ts";
import { can } from "../auth/permissions.ts";
import { audit } from "../lib/audit.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { type AppEnv, isProduction } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { maskEmail } from "../lib/redact.ts";
import { DEFAULT_CORRECTION_DAYS, DEFAULT_REPLY_DAYS } from "../submissions/submit.ts";
import { beijingTime } from "../widget/labels.ts";
import {
  allowedDept,
  isUuid,
  line,
  msg,
  multiline,
  parseForm,
  slugField,
  UNKNOWN_FIELD,
  wholeNumber,
} from "./admin-form.ts";
import { adminPage, Csrf } from "./admin-layout.tsx";
import { formFields } from "./admin-session.ts";

export const settingsPages = new Hono<AppEnv>();

// ---------------------------------------------------------------------------------------------
// Pure checks (exported for their tests)

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const ORIGIN = new RegExp(`^https?://(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*(?::(\\*|\\d{1,5}))?$`);

/**
 * An embedding origin as `frame-ancestors` takes it — `https://www.example.gov.cn`,
 * `https://*.example.gov.cn`, `http://localhost:*` — lower-cased and without a trailing slash, or
 * null. Nothing else gets through, so a value can never add a CSP directive (no `;`, no spaces).
 */
export function normalizeOrigin(raw: string): string | null {
  const s = raw.trim().toLowerCase().replace(/\/$/, "");
  const m = ORIGIN.exec(s);
  if (!m || s.length > 200) return null;
  const port = m[1];
  if (port && port !== "*" && (Number(port) < 1 || Number(port) > 65_535)) return null;
  return s;
}

export const MAX_ORIGINS = 20;

/** Parses the one-origin-a-line textarea; blank lines and duplicates are dropped. */
export function parseOrigins(text: string): { ok: true; origins: string[] } | { ok: false; error: string } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const [i, l] of lines.entries()) {
    const o = normalizeOrigin(l);
    if (!o) {
      return {
        ok: false,
        error: `第 ${i + 1} 行「${l.slice(0, 80)}」不是有效的网站来源，应形如 https://www.example.gov.cn、https://*.example.gov.cn 或 http://localhost:*（中文域名请填写 xn-- 开头的编码形式）。（Line ${i + 1} is not an origin such as https://www.example.gov.cn.）`,
      };
    }
    if (!out.includes(o)) out.push(o);
  }
  if (out.length > MAX_ORIGINS) {
    return {
      ok: false,
      error: `最多填写 ${MAX_ORIGINS} 个网站来源。（At most ${MAX_ORIGINS} origins.）`,
    };
  }
  return { ok: true, origins: out };
}

export const CHANNEL_TYPES = ["webhook", "wecom", "dingtalk", "feishu", "email"] as const;

const CHANNEL_LABEL: Record<NotificationChannel["type"], string> = {
  webhook: "Webhook（签名回调）",
  wecom: "企业微信群机器人",
  dingtalk: "钉钉群机器人",
  feishu: "飞书群机器人",
  email: "电子邮件",
};

export const MAX_CHANNELS = 10;

/**
 * True for hosts that name this machine or a private network: a channel must not make the
 * scheduled worker call into the network it runs in (SSRF). The delivery checks again when it sends.
 */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal"))
    return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (h.includes(":")) {
    return (
      h === "::" ||
      h === "::1" ||
      /^f[cd]/.test(h) ||
      /^fe[89ab]/.test(h) ||
      h.startsWith("::ffff:") ||
      h.startsWith("64:ff9b:")
    );
  }
  return false;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The channel's target as stored, or why it is refused (zh, en). */
export function checkChannelTarget(
  type: NotificationChannel["type"],
  target: string,
  production: boolean,
): { ok: true; target: string } | { ok: false; zh: string; en: string } {
  if (type === "email") {
    const t = target.toLowerCase();
    return EMAIL.test(t) && t.length <= 254
      ? { ok: true, target: t }
      : { ok: false, zh: "请填写正确的电子邮箱", en: "Enter a valid e-mail address" };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, zh: "请填写完整的网址（https://…）", en: "Enter a full URL (https://…)" };
  }
  const httpOk = url.protocol === "https:" || (url.protocol === "http:" && !production);
  if (!httpOk) {
    return { ok: false, zh: "网址必须以 https:// 开头", en: "The URL must start with https://" };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      zh: "网址中不能包含用户名或密码",
      en: "The URL must not contain a user name or password",
    };
  }
  if (production && isPrivateHost(url.hostname)) {
    return {
      ok: false,
      zh: "不能把通知发往本机或内网地址",
      en: "Notifications may not go to this machine or a private network",
    };
  }
  return { ok: true, target: url.href };
}

/** A stable handle of a channel for its delete button (no index: the list may change meanwhile). */
export async function channelHandle(ch: NotificationChannel): Promise<string> {
  return (await sha256Hex(`${ch.type}\n${ch.target}\n${ch.secret ?? ""}`)).slice(0, 16);
}

/** What the page shows of a target: never the robot key or webhook path, which work as passwords. */
export function maskTarget(ch: NotificationChannel): string {
  if (ch.type === "email") return maskEmail(ch.target);
  try {
    const u = new URL(ch.target);
    return `${u.protocol}//${u.host}/…${ch.target.slice(-4)}`;
  } catch {
    return "***";
  }
}

export function maskSecret(secret: string | undefined): string {
  if (!secret) return "未设置";
  return secret.length >= 12 ? `已设置（••••${secret.slice(-4)}）` : "已设置（••••）";
}

// ---------------------------------------------------------------------------------------------
// Settings page

const FLASH: Record<string, string> = {
  name: "部门名称已保存。",
  origins: "允许嵌入的网站已保存。",
  norms: "答复时限已保存，对之后收到的来信生效。",
  channel: "通知渠道已添加。",
  "channel-removed": "通知渠道已删除。",
  unit: "下属单位已创建，您是它的管理员；可在页面顶部切换到该单位。",
  department: "部门已创建。",
};

const LABELS: Record<string, string> = {
  name: "名称",
  origins: "允许嵌入的网站",
  replyDays: "意见答复时限",
  correctionDays: "纠错答复时限",
  type: "渠道类型",
  target: "地址",
  secret: "签名密钥",
  slug: "标识",
  title: "模板标题",
  body: "模板内容",
};

const NameForm = v.strictObject({ name: line(100) }, UNKNOWN_FIELD);
const OriginsForm = v.strictObject(
  { origins: v.pipe(v.string(), v.maxLength(5000, msg("内容过长", "Too long"))) },
  UNKNOWN_FIELD,
);
const NormsForm = v.strictObject(
  { replyDays: wholeNumber(1, 60), correctionDays: wholeNumber(1, 60) },
  UNKNOWN_FIELD,
);
const ChannelForm = v.strictObject(
  {
    type: v.picklist(
      CHANNEL_TYPES,
      msg(
        "渠道类型应为 Webhook、企业微信、钉钉、飞书或电子邮件",
        "Type must be webhook, wecom, dingtalk, feishu or email",
      ),
    ),
    target: line(500),
    secret: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.maxLength(200, msg("不能超过 200 个字符", "Must be at most 200 characters")),
        v.regex(/^[\x21-\x7e]*$/, msg("密钥只能包含可见的英文字符", "Use printable ASCII characters only")),
      ),
      "",
    ),
  },
  UNKNOWN_FIELD,
);
const UnitForm = v.strictObject({ slug: slugField, name: line(100) }, UNKNOWN_FIELD);
const NoFields = v.strictObject({}, UNKNOWN_FIELD);

interface SettingsDraft {
  origins?: string;
}

async function settingsPage(
  c: Context<AppEnv>,
  dept: string,
  o: { flash?: string; error?: string; status?: number; draft?: SettingsDraft } = {},
) {
  const db = c.get("db");
  const staff = c.get("staff")!;
  const d = await getDepartment(db, dept);
  if (!d) throw new AppError("not_found", "找不到该部门", "No such department");
  const [tree, ancestors, templates] = await Promise.all([
    departmentTree(db, dept),
    departmentAncestors(db, dept),
    listTemplates(db, dept),
  ]);
  const channels = d.settings.channels ?? [];
  const handles = await Promise.all(channels.map(channelHandle));
  return adminPage(
    c,
    { title: "部门设置", active: "/admin/settings", flash: o.flash, error: o.error, status: o.status },
    <>
      <h1>部门设置</h1>
      <p class="muted">
        {ancestors.length ? `${ancestors.map((a) => a.name).join(" › ")} › ` : ""}
        {d.name}（标识 <code>{d.slug}</code>）
      </p>

      <section class="panel">
        <h2>部门名称</h2>
        <form method="post" action="/admin/settings/name" class="filters">
          <Csrf c={c} />
          <div>
            <label for="s-name">名称（显示在表单和回音壁上）</label>
            <input id="s-name" name="name" required maxlength={100} value={d.name} />
          </div>
          <div>
            <button type="submit">保存</button>
          </div>
        </form>
      </section>

      <section class="panel">
        <h2>允许嵌入的网站</h2>
        <p class="muted">
          只有这些网站可以用 iframe 或 embed.js 嵌入本部门的表单。每行一个，形如 https://www.example.gov.cn、
          https://*.example.gov.cn，本地调试可用 http://localhost:*。
        </p>
        <form method="post" action="/admin/settings/origins">
          <Csrf c={c} />
          <label for="s-origins">网站来源（每行一个，最多 {MAX_ORIGINS} 个）</label>
          <textarea id="s-origins" name="origins" rows={5} spellcheck={false}>
            {o.draft?.origins ?? d.allowedOrigins.join("\n")}
          </textarea>
          <p>
            <button type="submit">保存</button>
          </p>
        </form>
      </section>

      <section class="panel">
        <h2>答复时限</h2>
        <p class="muted">按工作日计算（节假日和调休已计入），对之后收到的来信生效。</p>
        <form method="post" action="/admin/settings/norms" class="filters">
          <Csrf c={c} />
          <div>
            <label for="s-reply">意见答复（工作日，1–60）</label>
            <input
              id="s-reply"
              name="replyDays"
              type="number"
              min={1}
              max={60}
              required
              value={String(d.settings.replyDays ?? DEFAULT_REPLY_DAYS)}
            />
          </div>
          <div>
            <label for="s-correction">网站纠错（工作日，1–60）</label>
            <input
              id="s-correction"
              name="correctionDays"
              type="number"
              min={1}
              max={60}
              required
              value={String(d.settings.correctionDays ?? DEFAULT_CORRECTION_DAYS)}
            />
          </div>
          <div>
            <button type="submit">保存</button>
          </div>
        </form>
      </section>

      <section class="panel">
        <h2>通知渠道</h2>
        {channels.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">类型</th>
                <th scope="col">地址</th>
                <th scope="col">签名密钥</th>
                <th scope="col">操作</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((ch, i) => (
                <tr>
                  <td>{CHANNEL_LABEL[ch.type] ?? ch.type}</td>
                  <td>
                    <code>{maskTarget(ch)}</code>
                  </td>
                  <td>{maskSecret(ch.secret)}</td>
                  <td>
                    <form
                      method="post"
                      action={`/admin/settings/channels/${handles[i]}/delete`}
                      class="inline"
                    >
                      <Csrf c={c} />
                      <button type="submit" class="danger">
                        删除
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">还没有通知渠道。</p>
        )}
        <form method="post" action="/admin/settings/channels" class="filters">
          <Csrf c={c} />
          <div>
            <label for="ch-type">类型</label>
            <select id="ch-type" name="type">
              {CHANNEL_TYPES.map((t) => (
                <option value={t}>{CHANNEL_LABEL[t]}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="ch-target">网址或邮箱</label>
            <input id="ch-target" name="target" required maxlength={500} autocomplete="off" />
          </div>
          <div>
            <label for="ch-secret">签名密钥（可选）</label>
            <input id="ch-secret" name="secret" type="password" maxlength={200} autocomplete="off" />
          </div>
          <div>
            <button type="submit">添加</button>
          </div>
        </form>
      </section>

      <section class="panel">
        <h2>下属单位（科室 / 直属单位）</h2>
        <Tree nodes={tree} rootId={dept} />
        <form method="post" action="/admin/settings/units" class="filters">
          <Csrf c={c} />
          <div>
            <label for="u-slug">标识（小写字母、数字、-）</label>
            <input id="u-slug" name="slug" required maxlength={40} pattern="[a-z0-9][a-z0-9\-]{0,39}" />
          </div>
          <div>
            <label for="u-name">名称</label>
            <input id="u-name" name="name" required maxlength={100} />
          </div>
          <div>
            <button type="submit">新建下属单位</button>
          </div>
        </form>
        <p class="muted">新单位自带意见箱等内置表单，您将成为它的管理员。</p>
      </section>

      <section class="panel">
        <h2>答复模板</h2>
        <p>
          本部门有 {templates.length} 个答复模板。<a href="/admin/templates">管理答复模板</a>
        </p>
      </section>

      {can(staff, dept, "departments.create") ? (
        <section class="panel">
          <h2>新建部门（系统管理员）</h2>
          <form method="post" action="/admin/departments" class="filters">
            <Csrf c={c} />
            <div>
              <label for="d-slug">标识</label>
              <input id="d-slug" name="slug" required maxlength={40} />
            </div>
            <div>
              <label for="d-name">名称</label>
              <input id="d-name" name="name" required maxlength={100} />
            </div>
            <div>
              <button type="submit">新建部门</button>
            </div>
          </form>
        </section>
      ) : null}
    </>,
  );
}

/** The sub-unit tree as nested lists (rows come depth first from `departmentTree`). */
function Tree({ nodes, rootId }: { nodes: TreeNode[]; rootId: string }) {
  const children = new Map<string, TreeNode[]>();
  for (const n of nodes) {
    if (n.id === rootId || !n.parentId) continue;
    const list = children.get(n.parentId) ?? [];
    list.push(n);
    children.set(n.parentId, list);
  }
  const root = nodes.find((n) => n.id === rootId);
  if (!root) return null;
  const render = (n: TreeNode): unknown => (
    <li>
      {n.name} <code class="muted">{n.slug}</code>
      {children.get(n.id)?.length ? <ul>{children.get(n.id)!.map(render)}</ul> : null}
    </li>
  );
  return (
    <>
      <ul class="tree">{render(root)}</ul>
      {nodes.length === 1 ? <p class="muted">还没有下属单位。</p> : null}
    </>
  );
}

settingsPages.get("/settings", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "settings.view");
  return settingsPage(c, dept, { flash: FLASH[c.req.query("flash") ?? ""] });
});

/** Parses a settings form; a refusal is audited as failed and shown on the page with status 400. */
async function settingsForm<S extends v.GenericSchema>(
  c: Context<AppEnv>,
  dept: string,
  action: string,
  schema: S,
): Promise<
  { ok: true; value: v.InferOutput<S>; fields: Record<string, string> } | { ok: false; res: Response }
> {
  const fields = await formFields(c);
  const parsed = parseForm(schema, fields, LABELS);
  if (parsed.ok) return { ok: true, value: parsed.value, fields };
  await audit(c, {
    deptId: dept,
    action,
    result: "failed",
    detail: { reason: "invalid", fields: parsed.fields },
  });
  return { ok: false, res: await settingsPage(c, dept, { error: parsed.error, status: 400 }) };
}

settingsPages.post("/settings/name", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.rename");
  const form = await settingsForm(c, dept, "dept.rename", NameForm);
  if (!form.ok) return form.res;
  const before = await getDepartment(c.get("db"), dept);
  await renameDepartment(c.get("db"), dept, form.value.name);
  await audit(c, {
    deptId: dept,
    action: "dept.rename",
    target: dept,
    result: "ok",
    detail: { from: before?.name, to: form.value.name },
  });
  return c.redirect("/admin/settings?flash=name", 303);
});

settingsPages.post("/settings/origins", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.origins");
  const form = await settingsForm(c, dept, "dept.origins", OriginsForm);
  if (!form.ok) return form.res;
  const parsed = parseOrigins(form.value.origins);
  if (!parsed.ok) {
    await audit(c, { deptId: dept, action: "dept.origins", result: "failed", detail: { reason: "invalid" } });
    return settingsPage(c, dept, {
      error: parsed.error,
      status: 400,
      draft: { origins: form.value.origins },
    });
  }
  await setAllowedOrigins(c.get("db"), dept, parsed.origins);
  await audit(c, {
    deptId: dept,
    action: "dept.origins",
    target: dept,
    result: "ok",
    detail: { origins: parsed.origins },
  });
  return c.redirect("/admin/settings?flash=origins", 303);
});

settingsPages.post("/settings/norms", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.norms");
  const form = await settingsForm(c, dept, "dept.norms", NormsForm);
  if (!form.ok) return form.res;
  await setReplyNorms(c.get("db"), dept, form.value);
  await audit(c, {
    deptId: dept,
    action: "dept.norms",
    target: dept,
    result: "ok",
    detail: { ...form.value },
  });
  return c.redirect("/admin/settings?flash=norms", 303);
});

const CONFLICT =
  "设置刚被他人修改，请刷新页面后重试。（The settings were changed meanwhile; reload and retry.）";

settingsPages.post("/settings/channels", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.channel_add");
  const form = await settingsForm(c, dept, "dept.channel_add", ChannelForm);
  if (!form.ok) return form.res;
  const { type, secret } = form.value;
  const checked = checkChannelTarget(type, form.value.target, isProduction(c.env));
  const fail = async (error: string, reason: string, status = 400) => {
    await audit(c, { deptId: dept, action: "dept.channel_add", result: "failed", detail: { reason, type } });
    return settingsPage(c, dept, { error, status });
  };
  if (!checked.ok) return fail(`地址：${checked.zh}（target: ${checked.en}）`, "invalid");
  const d = (await getDepartment(c.get("db"), dept)) as DepartmentRow;
  const current = d.settings.channels ?? [];
  if (current.length >= MAX_CHANNELS)
    return fail(`最多 ${MAX_CHANNELS} 个通知渠道。（At most ${MAX_CHANNELS} channels.）`, "too_many");
  if (current.some((ch) => ch.type === type && ch.target === checked.target))
    return fail("该通知渠道已存在。（This channel exists already.）", "duplicate");
  const channel: NotificationChannel = { type, target: checked.target, ...(secret ? { secret } : {}) };
  if (!(await replaceChannels(c.get("db"), dept, current, [...current, channel])))
    return fail(CONFLICT, "conflict", 409);
  // The log names the kind and the host, never the robot key, the path or the secret.
  await audit(c, {
    deptId: dept,
    action: "dept.channel_add",
    target: dept,
    result: "ok",
    detail: { type, to: maskTarget(channel), signed: Boolean(secret) },
  });
  return c.redirect("/admin/settings?flash=channel", 303);
});

settingsPages.post("/settings/channels/:handle/delete", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.channel_remove");
  const form = await settingsForm(c, dept, "dept.channel_remove", NoFields);
  if (!form.ok) return form.res;
  const d = (await getDepartment(c.get("db"), dept)) as DepartmentRow;
  const current = d.settings.channels ?? [];
  const handles = await Promise.all(current.map(channelHandle));
  const index = handles.indexOf(c.req.param("handle"));
  if (index === -1) throw new AppError("not_found", "没有这个通知渠道", "No such channel");
  const removed = current[index]!;
  const next = current.filter((_, i) => i !== index);
  if (!(await replaceChannels(c.get("db"), dept, current, next))) {
    await audit(c, {
      deptId: dept,
      action: "dept.channel_remove",
      result: "failed",
      detail: { reason: "conflict" },
    });
    return settingsPage(c, dept, { error: CONFLICT, status: 409 });
  }
  await audit(c, {
    deptId: dept,
    action: "dept.channel_remove",
    target: dept,
    result: "ok",
    detail: { type: removed.type, to: maskTarget(removed) },
  });
  return c.redirect("/admin/settings?flash=channel-removed", 303);
});

/**
 * Creates a department with the built-in forms. A UNIQUE failure means another admin took the slug
 * a moment ago (returns null); anything else is a real error.
 */
async function newDepartment(
  c: Context<AppEnv>,
  input: { slug: string; name: string; parentId?: string; from?: DepartmentRow },
): Promise<string | null> {
  const db = c.get("db");
  let id: string;
  try {
    id = await createDepartment(db, {
      slug: input.slug,
      name: input.name,
      ...(input.parentId ? { parentId: input.parentId } : {}),
      // A sub-unit usually sits on the same site and keeps the same norms; channels (with their
      // secrets) are not copied.
      ...(input.from
        ? {
            allowedOrigins: input.from.allowedOrigins,
            settings: {
              ...(input.from.settings.replyDays ? { replyDays: input.from.settings.replyDays } : {}),
              ...(input.from.settings.correctionDays
                ? { correctionDays: input.from.settings.correctionDays }
                : {}),
            },
          }
        : {}),
    });
  } catch (error) {
    if (/UNIQUE/i.test(String((error as Error)?.cause ?? error))) return null;
    throw error;
  }
  await installBuiltinForms(db, id, input.slug);
  return id;
}

const slugInUse = (slug: string) => `标识「${slug}」已被使用，请换一个。（The slug "${slug}" is taken.）`;

settingsPages.post("/settings/units", async (c) => {
  const dept = await allowedDept(c, "settings.manage", "dept.unit_create");
  const form = await settingsForm(c, dept, "dept.unit_create", UnitForm);
  if (!form.ok) return form.res;
  const db = c.get("db");
  const { slug, name } = form.value;
  const parent = (await getDepartment(db, dept)) as DepartmentRow;
  const id = (await slugTaken(db, slug))
    ? null
    : await newDepartment(c, { slug, name, parentId: dept, from: parent });
  if (!id) {
    await audit(c, {
      deptId: dept,
      action: "dept.unit_create",
      target: slug,
      result: "failed",
      detail: { reason: "slug_taken" },
    });
    return settingsPage(c, dept, { error: slugInUse(slug), status: 409 });
  }
  await grantRole(db, c.get("staff")!.userId, id, "admin");
  await audit(c, {
    deptId: dept,
    action: "dept.unit_create",
    target: slug,
    result: "ok",
    detail: { id, name },
  });
  await audit(c, {
    deptId: id,
    action: "dept.create",
    target: slug,
    result: "ok",
    detail: { parentId: dept, name },
  });
  return c.redirect("/admin/settings?flash=unit", 303);
});

settingsPages.post("/departments", async (c) => {
  const staff = c.get("staff")!;
  const current = c.get("session")?.deptId ?? null;
  if (!can(staff, "", "departments.create")) {
    await audit(c, { deptId: current, action: "dept.create", result: "denied" });
    throw new AppError(
      "forbidden",
      "只有系统管理员可以新建部门",
      "Only a system admin may create departments",
    );
  }
  const fields = await formFields(c);
  const parsed = parseForm(UnitForm, fields, LABELS);
  const back = async (error: string, status: number, reason: string) => {
    await audit(c, { deptId: current, action: "dept.create", result: "failed", detail: { reason } });
    if (current) return settingsPage(c, current, { error, status });
    throw new AppError("validation_failed", error, error);
  };
  if (!parsed.ok) return back(parsed.error, 400, "invalid");
  const { slug, name } = parsed.value;
  const id = (await slugTaken(c.get("db"), slug)) ? null : await newDepartment(c, { slug, name });
  if (!id) return back(slugInUse(slug), 409, "slug_taken");
  await audit(c, { deptId: id, action: "dept.create", target: slug, result: "ok", detail: { name } });
  return c.redirect("/admin/settings?flash=department", 303);
});

// ---------------------------------------------------------------------------------------------
// Reply templates

const TemplateForm = v.strictObject({ title: line(100), body: multiline(10_000) }, UNKNOWN_FIELD);

const TEMPLATE_FLASH: Record<string, string> = {
  created: "模板已创建。",
  saved: "模板已保存。",
  deleted: "模板已删除。",
};

async function templatesPage(
  c: Context<AppEnv>,
  dept: string,
  o: { flash?: string; error?: string; status?: number; draft?: { title?: string; body?: string } } = {},
) {
  const rows = await listTemplates(c.get("db"), dept);
  return adminPage(
    c,
    { title: "答复模板", active: "/admin/templates", flash: o.flash, error: o.error, status: o.status },
    <>
      <h1>答复模板</h1>
      <p class="muted">办理来信时可在「答复」处套用这些模板，再按具体情况修改。</p>
      {rows.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">标题</th>
              <th scope="col">内容</th>
              <th scope="col">创建时间</th>
              <th scope="col">操作</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr>
                <td>{t.title}</td>
                <td>{[...t.body].length > 80 ? `${[...t.body].slice(0, 80).join("")}…` : t.body}</td>
                <td>{beijingTime(t.createdAt)}</td>
                <td>
                  <a href={`/admin/templates/${t.id}`}>编辑</a>{" "}
                  <form method="post" action={`/admin/templates/${t.id}/delete`} class="inline">
                    <Csrf c={c} />
                    <button type="submit" class="danger">
                      删除
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">还没有答复模板。</p>
      )}
      <h2>新建模板</h2>
      <TemplateFields c={c} action="/admin/templates" draft={o.draft} submit="创建" />
    </>,
  );
}

function TemplateFields(p: {
  c: Context<AppEnv>;
  action: string;
  draft?: { title?: string; body?: string } | undefined;
  submit: string;
}) {
  return (
    <form method="post" action={p.action} class="narrow-wide">
      <Csrf c={p.c} />
      <label for="t-title">标题</label>
      <input id="t-title" name="title" required maxlength={100} value={p.draft?.title ?? ""} />
      <label for="t-body">内容</label>
      <textarea id="t-body" name="body" rows={8} required maxlength={10000}>
        {p.draft?.body ?? ""}
      </textarea>
      <p>
        <button type="submit">{p.submit}</button>
      </p>
    </form>
  );
}

function templateEditPage(
  c: Context<AppEnv>,
  t: TemplateRow,
  o: { error?: string; status?: number; draft?: { title?: string; body?: string } } = {},
) {
  return adminPage(
    c,
    { title: "编辑答复模板", active: "/admin/templates", error: o.error, status: o.status },
    <>
      <h1>编辑答复模板</h1>
      <TemplateFields c={c} action={`/admin/templates/${t.id}`} draft={o.draft ?? t} submit="保存" />
      <p>
        <a href="/admin/templates">返回模板列表</a>
      </p>
    </>,
  );
}

async function templateOf(c: Context<AppEnv>, dept: string): Promise<TemplateRow> {
  const id = c.req.param("id");
  const t = isUuid(id) ? await findTemplate(c.get("db"), dept, id) : null;
  if (!t) throw new AppError("not_found", "本部门没有该模板", "No such template in this department");
  return t;
}

settingsPages.get("/templates", async (c) => {
  const dept = await allowedDept(c, "templates.manage", "templates.view");
  return templatesPage(c, dept, { flash: TEMPLATE_FLASH[c.req.query("flash") ?? ""] });
});

settingsPages.post("/templates", async (c) => {
  const dept = await allowedDept(c, "templates.manage", "template.create");
  const fields = await formFields(c);
  const parsed = parseForm(TemplateForm, fields, LABELS);
  if (!parsed.ok) {
    await audit(c, {
      deptId: dept,
      action: "template.create",
      result: "failed",
      detail: { reason: "invalid" },
    });
    return templatesPage(c, dept, { error: parsed.error, status: 400, draft: fields });
  }
  const id = await createTemplate(c.get("db"), {
    deptId: dept,
    ...parsed.value,
    createdBy: c.get("staff")!.userId,
    now: Date.now(),
  });
  await audit(c, {
    deptId: dept,
    action: "template.create",
    target: id,
    result: "ok",
    detail: { title: parsed.value.title },
  });
  return c.redirect("/admin/templates?flash=created", 303);
});

settingsPages.get("/templates/:id", async (c) => {
  const dept = await allowedDept(c, "templates.manage", "templates.view");
  return templateEditPage(c, await templateOf(c, dept));
});

settingsPages.post("/templates/:id", async (c) => {
  const dept = await allowedDept(c, "templates.manage", "template.update");
  const t = await templateOf(c, dept);
  const fields = await formFields(c);
  const parsed = parseForm(TemplateForm, fields, LABELS);
  if (!parsed.ok) {
    await audit(c, {
      deptId: dept,
      action: "template.update",
      target: t.id,
      result: "failed",
      detail: { reason: "invalid" },
    });
    return templateEditPage(c, t, { error: parsed.error, status: 400, draft: fields });
  }
  await updateTemplate(c.get("db"), dept, t.id, parsed.value);
  await audit(c, {
    deptId: dept,
    action: "template.update",
    target: t.id,
    result: "ok",
    detail: { from: t.title, title: parsed.value.title },
  });
  return c.redirect("/admin/templates?flash=saved", 303);
});

settingsPages.post("/templates/:id/delete", async (c) => {
  const dept = await allowedDept(c, "templates.manage", "template.delete");
  const t = await templateOf(c, dept);
  const parsed = parseForm(NoFields, await formFields(c), LABELS);
  if (!parsed.ok) return templatesPage(c, dept, { error: parsed.error, status: 400 });
  await deleteTemplate(c.get("db"), dept, t.id);
  await audit(c, {
    deptId: dept,
    action: "template.delete",
    target: t.id,
    result: "ok",
    detail: { title: t.title },
  });
  return c.redirect("/admin/templates?flash=deleted", 303);
});
