/**
 * The handlers' daily pages: the dashboard (new, due soon, overdue), the inbox with filters and
 * full-text search, and the case page with its timeline and the forms to assign, reply (with
 * templates), publish, close and reveal personal data (audited, with a reason).
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import { Hono } from "hono";
import {
  type CaseRow,
  caseTimeline,
  dashboardCounts,
  findCaseInScope,
  listCases,
  type Scope,
} from "../../schema/queries/cases.ts";
import { memberships, replyTemplates, users } from "../../schema/tables.ts";
import { can } from "../auth/permissions.ts";
import { applyCaseEvent, parseCaseEvent } from "../cases/case-events.ts";
import { inboxPage } from "../cases/inbox.ts";
import { readPersonal } from "../cases/personal-data.ts";
import { audit } from "../lib/audit.ts";
import { decodeCursor } from "../lib/cursor.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { maskPersonalField } from "../lib/redact.ts";
import { formatTrackingCode, normalizeTrackingCode } from "../lib/tracking-code.ts";
import { addWorkingDays, beijingDate } from "../lib/working-days.ts";
import { beijingTime, categoryLabel, eventLabel, statusLabel } from "../widget/labels.ts";
import { adminPage, Csrf, currentDept } from "./admin-layout.tsx";
import { formFields } from "./admin-session.ts";

export const casePages = new Hono<AppEnv>();

/** The current department, if the user may read its cases there. */
function caseScope(c: Context<AppEnv>): { dept: string; scope: Scope } {
  const dept = currentDept(c);
  if (!can(c.get("staff")!, dept, "cases.read")) {
    throw new AppError("forbidden", "您的角色不能查看来信", "Your role may not read cases");
  }
  return { dept, scope: { all: false, deptIds: [dept] } };
}

const FLASH: Record<string, string> = {
  password: "密码已修改。",
  assigned: "已分派。",
  replied: "答复已保存，来信人可凭查询码查看。",
  published: "已发布到回音壁。",
  unpublished: "已从回音壁撤下。",
  closed: "已办结。",
};

casePages.get("/", async (c) => {
  // Every role lands here after sign-in: one without cases (an appraiser) gets its menu, not a 403.
  if (!can(c.get("staff")!, currentDept(c), "cases.read")) {
    return adminPage(
      c,
      { title: "工作台", active: "/admin", flash: FLASH[c.req.query("flash") ?? ""] },
      <>
        <h1>工作台</h1>
        <p>您的角色不办理来信，请从上方菜单进入可以使用的功能。</p>
      </>,
    );
  }
  const { scope } = caseScope(c);
  const today = beijingDate(Date.now());
  const soon = addWorkingDays(today, 2);
  const counts = await dashboardCounts(c.get("db"), scope, today, soon);
  const overdue = await listCases(c.get("db"), scope, { open: true, dueBefore: today }, 10);
  const dueSoon = await listCases(c.get("db"), scope, { open: true, dueBy: soon }, 10);
  return adminPage(
    c,
    { title: "工作台", active: "/admin", flash: FLASH[c.req.query("flash") ?? ""] },
    <>
      <h1>工作台</h1>
      <div class="cards">
        <a class="card" href="/admin/cases?state=received">
          <div class="n">{counts.fresh}</div>新来信（未分派）
        </a>
        <a class="card" href="/admin/cases?due=soon">
          <div class="n">{counts.dueSoon}</div>两个工作日内到期
        </a>
        <a class="card" href="/admin/cases?due=overdue">
          <div class="n">{counts.overdue}</div>已超期未答复
        </a>
        <a class="card" href="/admin/cases?open=1">
          <div class="n">{counts.open}</div>待答复合计
        </a>
      </div>
      <h2>已超期</h2>
      <CaseTable rows={overdue.filter((r) => r.dueDate < today)} today={today} />
      <h2>即将到期</h2>
      <CaseTable rows={dueSoon.filter((r) => r.dueDate >= today)} today={today} />
    </>,
  );
});

function CaseTable({ rows, today }: { rows: CaseRow[]; today: string }) {
  if (!rows.length) return <p class="muted">没有。</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">查询码</th>
          <th scope="col">类型</th>
          <th scope="col">标题</th>
          <th scope="col">状态</th>
          <th scope="col">答复期限</th>
          <th scope="col">收到时间</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const late = (r.state === "received" || r.state === "assigned") && r.dueDate < today;
          return (
            <tr>
              <td>
                <a class="code" href={`/admin/cases/${r.trackingCode}`}>
                  {formatTrackingCode(r.trackingCode)}
                </a>
              </td>
              <td>{categoryLabel(r.category, "zh-CN")}</td>
              <td>{r.subject}</td>
              <td>
                {statusLabel(r.state, "zh-CN")}
                {r.published ? <span class="tag">回音壁</span> : null}
              </td>
              <td class={late ? "overdue" : undefined}>
                {r.dueDate}
                {late ? "（已超期）" : ""}
              </td>
              <td>{beijingTime(r.createdAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const STATES = ["received", "assigned", "replied", "closed"];

casePages.get("/cases", async (c) => {
  const { scope } = caseScope(c);
  const q = c.req.query();
  const today = beijingDate(Date.now());
  const state = STATES.includes(q.state ?? "") ? q.state : undefined;
  const search = (q.q ?? "").trim().slice(0, 100) || undefined;
  const date = (s: string | undefined) => (s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : undefined);
  const from = date(q.from);
  const to = date(q.to);
  const mine = q.mine === "1";
  let cursor: ReturnType<typeof decodeCursor>;
  try {
    cursor = decodeCursor(q.cursor);
  } catch {
    cursor = undefined;
  }
  const limit = 30;
  const {
    rows: page,
    next,
    searchPending,
  } = await inboxPage(
    c.get("db"),
    scope,
    {
      state,
      from: from ? Date.parse(`${from}T00:00:00+08:00`) : undefined,
      to: to ? Date.parse(`${to}T00:00:00+08:00`) + 86_400_000 - 1 : undefined,
      assigneeId: mine ? c.get("staff")!.userId : undefined,
      open: q.open === "1" || q.due === "overdue" || q.due === "soon" ? true : undefined,
      dueBefore: q.due === "overdue" ? today : undefined,
      dueBy: q.due === "soon" ? addWorkingDays(today, 2) : undefined,
    },
    search,
    limit,
    cursor,
  );
  const keep = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== "cursor" && v));
  if (next) keep.set("cursor", next);
  return adminPage(
    c,
    { title: "来信办理", active: "/admin/cases" },
    <>
      <h1>来信办理</h1>
      <form method="get" action="/admin/cases" class="filters">
        <div>
          <label for="f-q">搜索（标题、内容、答复或查询码）</label>
          <input id="f-q" name="q" type="search" value={search ?? ""} maxlength={100} />
        </div>
        <div>
          <label for="f-state">状态</label>
          <select id="f-state" name="state">
            <option value="">全部</option>
            {STATES.map((s) => (
              <option value={s} selected={s === state}>
                {statusLabel(s, "zh-CN")}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-from">收到日期自</label>
          <input id="f-from" name="from" type="date" value={from ?? ""} />
        </div>
        <div>
          <label for="f-to">至</label>
          <input id="f-to" name="to" type="date" value={to ?? ""} />
        </div>
        <div>
          <label>
            <input type="checkbox" name="mine" value="1" checked={mine} /> 只看分派给我的
          </label>
        </div>
        <div>
          <button type="submit">筛选</button>
        </div>
      </form>
      {searchPending ? (
        <p class="notice" role="status">
          还有约 {searchPending} 件新来信正在编入搜索索引，暂时搜不到；请稍后再搜。
        </p>
      ) : null}
      {search ? <p class="muted">搜索结果按收到先后排列，最新的在前。</p> : null}
      <CaseTable rows={page} today={today} />
      {next ? (
        <p>
          <a href={`/admin/cases?${keep}`}>下一页</a>
        </p>
      ) : null}
    </>,
  );
});

async function loadCasePage(c: Context<AppEnv>): Promise<CaseRow> {
  const { scope } = caseScope(c);
  const code = normalizeTrackingCode(c.req.param("code") ?? "");
  const row = code ? await findCaseInScope(c.get("db"), scope, code) : null;
  if (!row) throw new AppError("not_found", "找不到该来信", "No such case");
  return row;
}

const PERSONAL_LABEL: Record<string, string> = { name: "姓名", contact: "联系方式" };

async function casePage(
  c: Context<AppEnv>,
  row: CaseRow,
  opts: { revealed?: boolean; error?: string; status?: number } = {},
) {
  const db = c.get("db");
  const staff = c.get("staff")!;
  const timeline = await caseTimeline(db, row.id);
  const personal = await readPersonal(c.env, row);
  const handlers = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(and(eq(memberships.deptId, row.deptId), inArray(memberships.role, ["admin", "handler"])))
    .orderBy(asc(users.email))
    .all();
  const templates = await db
    .select()
    .from(replyTemplates)
    .where(eq(replyTemplates.deptId, row.deptId))
    .orderBy(asc(replyTemplates.title))
    .all();
  const chosen = templates.find((t) => t.id === c.req.query("template"));
  const emailOf = new Map(handlers.map((h) => [h.id, h.email]));
  const handle = can(staff, row.deptId, "cases.handle");
  const open = row.state === "received" || row.state === "assigned";
  const action = `/admin/cases/${row.trackingCode}`;
  const extra = Object.entries(row.answers).filter(
    ([k]) => !["kind", "subject", "body", "publish"].includes(k),
  );
  return adminPage(
    c,
    {
      title: formatTrackingCode(row.trackingCode),
      active: "/admin/cases",
      flash: FLASH[c.req.query("flash") ?? ""],
      error: opts.error,
      status: opts.status,
    },
    <>
      <h1>
        {row.subject || "（无标题）"} <span class="tag">{statusLabel(row.state, "zh-CN")}</span>
      </h1>
      <p class="muted">
        查询码 <span class="code">{formatTrackingCode(row.trackingCode)}</span> ·{" "}
        {categoryLabel(row.category, "zh-CN")} · 收到于 {beijingTime(row.createdAt)} · 答复期限 {row.dueDate}
        {row.assigneeId ? ` · 承办人 ${emailOf.get(row.assigneeId) ?? "（已不在本部门）"}` : " · 未分派"}
      </p>
      <div class="row">
        <section>
          <h2>来信内容</h2>
          <div class="pre">{row.body}</div>
          {extra.length ? (
            <dl>
              {extra.map(([k, v]) => (
                <>
                  <dt>{k}</dt>
                  <dd>{String(v)}</dd>
                </>
              ))}
            </dl>
          ) : null}
          <h2>来信人</h2>
          {Object.keys(personal).length === 0 ? (
            <p class="muted">匿名来信，未留个人信息。</p>
          ) : (
            <>
              <dl>
                {Object.entries(personal).map(([k, v]) => (
                  <>
                    <dt>{PERSONAL_LABEL[k] ?? k}</dt>
                    <dd>{opts.revealed ? v : maskPersonalField(k, v)}</dd>
                  </>
                ))}
              </dl>
              {!opts.revealed && can(staff, row.deptId, "cases.reveal") ? (
                <form method="post" action={`${action}/reveal`}>
                  <Csrf c={c} />
                  <label for="reason">查看完整个人信息的理由（将记入审计日志）</label>
                  <input id="reason" name="reason" required maxlength={200} />{" "}
                  <button type="submit" class="secondary">
                    查看
                  </button>
                </form>
              ) : null}
            </>
          )}
          <p class="muted">
            {row.consentPublish ? "来信人同意在回音壁公开（隐去个人信息）。" : "来信人未同意公开。"}
          </p>
          {row.replyText ? (
            <>
              <h2>答复</h2>
              <div class="pre">{row.replyText}</div>
            </>
          ) : null}
        </section>
        <section>
          <h2>办理过程</h2>
          <ol>
            {timeline.map((e) => (
              <li>
                {beijingTime(e.createdAt)} {eventLabel(e.type, "zh-CN")}
                {e.type === "published" ? "发布到回音壁" : e.type === "unpublished" ? "从回音壁撤下" : ""}
                {e.actorId ? <span class="muted"> · {emailOf.get(e.actorId) ?? "工作人员"}</span> : null}
              </li>
            ))}
          </ol>
          {handle && open ? (
            <>
              <h2>分派</h2>
              <form method="post" action={`${action}/events`}>
                <Csrf c={c} />
                <input type="hidden" name="type" value="assigned" />
                <label for="assignee">承办人</label>
                <select id="assignee" name="assignee" required>
                  {handlers.map((h) => (
                    <option value={h.email} selected={h.id === row.assigneeId}>
                      {h.name ? `${h.name} <${h.email}>` : h.email}
                    </option>
                  ))}
                </select>{" "}
                <button type="submit">分派</button>
              </form>
              <h2>答复</h2>
              {templates.length ? (
                <form method="get" action={action}>
                  <label for="template">套用答复模板</label>
                  <select id="template" name="template">
                    {templates.map((t) => (
                      <option value={t.id} selected={t.id === chosen?.id}>
                        {t.title}
                      </option>
                    ))}
                  </select>{" "}
                  <button type="submit" class="secondary">
                    套用
                  </button>
                </form>
              ) : null}
              <form method="post" action={`${action}/events`}>
                <Csrf c={c} />
                <input type="hidden" name="type" value="replied" />
                <label for="reply">答复内容（来信人凭查询码可见）</label>
                <textarea id="reply" name="text" rows={8} required maxlength={10000}>
                  {chosen?.body ?? ""}
                </textarea>
                <p>
                  <button type="submit">保存答复</button>
                </p>
              </form>
            </>
          ) : null}
          {handle ? (
            <div class="filters">
              {row.consentPublish && !row.published && (row.state === "replied" || row.state === "closed") ? (
                <EventButton c={c} action={action} type="published" label="发布到回音壁" />
              ) : null}
              {row.published ? (
                <EventButton c={c} action={action} type="unpublished" label="从回音壁撤下" secondary />
              ) : null}
              {row.state === "replied" ? (
                <EventButton c={c} action={action} type="closed" label="办结" />
              ) : null}
            </div>
          ) : null}
        </section>
      </div>
    </>,
  );
}

function EventButton(p: {
  c: Context<AppEnv>;
  action: string;
  type: string;
  label: string;
  secondary?: boolean;
}) {
  return (
    <form method="post" action={`${p.action}/events`}>
      <Csrf c={p.c} />
      <input type="hidden" name="type" value={p.type} />
      <button type="submit" class={p.secondary ? "secondary" : undefined}>
        {p.label}
      </button>
    </form>
  );
}

casePages.get("/cases/:code", async (c) => casePage(c, await loadCasePage(c)));

casePages.post("/cases/:code/events", async (c) => {
  const row = await loadCasePage(c);
  const f = await formFields(c);
  const input =
    f.type === "assigned"
      ? { type: "assigned", assignee: f.assignee ?? "" }
      : f.type === "replied"
        ? { type: "replied", text: f.text ?? "" }
        : { type: f.type };
  try {
    await applyCaseEvent(c, row, parseCaseEvent(input));
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      const issue = error.issues?.[0];
      return casePage(c, row, {
        error: `${error.messageZh}${issue ? `：${issue.message}` : ""}`,
        status: error.status,
      });
    }
    throw error;
  }
  return c.redirect(`/admin/cases/${row.trackingCode}?flash=${f.type}`, 303);
});

casePages.post("/cases/:code/reveal", async (c) => {
  const row = await loadCasePage(c);
  if (!can(c.get("staff")!, row.deptId, "cases.reveal")) {
    await audit(c, { deptId: row.deptId, action: "case.reveal", target: row.trackingCode, result: "denied" });
    throw new AppError("forbidden", "您的角色不能查看完整个人信息", "Your role may not reveal personal data");
  }
  const reason = ((await formFields(c)).reason ?? "").trim().slice(0, 200);
  if (!reason) return casePage(c, row, { error: "请填写查看理由。", status: 400 });
  await audit(c, {
    deptId: row.deptId,
    action: "case.reveal",
    target: row.trackingCode,
    result: "ok",
    detail: { reason },
  });
  return casePage(c, row, { revealed: true });
});
