/**
 * /admin/audit: the current department's audit log, newest first, with filters (action prefix,
 * actor e-mail, date range, result) and keyset pages; /admin/audit/export.csv streams the filtered
 * log as CSV (BOM, RFC 4180, formula cells defused) in pages of 500 rows, so memory stays flat
 * however long the log is. The export is itself audited.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import * as v from "valibot";
import type { Db } from "../../schema/db.ts";
import {
  type AuditCursor,
  type AuditEntry,
  type AuditFilter,
  listAudit,
} from "../../schema/queries/audit-log.ts";
import { getDepartment } from "../../schema/queries/departments.ts";
import { findUserByEmail } from "../../schema/queries/staff.ts";
import { audit } from "../lib/audit.ts";
import { CSV_BOM, csvRow } from "../lib/csv.ts";
import { decodeCursorText, encodeCursor } from "../lib/cursor.ts";
import type { AppEnv } from "../lib/env.ts";
import { allowedDept, emailField, maskIp, msg, parseForm, UNKNOWN_FIELD } from "./admin-form.ts";
import { adminPage } from "./admin-layout.tsx";

export const auditPages = new Hono<AppEnv>();

export const PAGE_SIZE = 50;
export const EXPORT_PAGE_SIZE = 500;

const RESULTS = ["ok", "denied", "failed"] as const;
const RESULT_LABEL: Record<string, string> = { ok: "成功", denied: "拒绝", failed: "失败" };

/** Chinese names of the common actions; others show their code. */
const ACTION_LABEL: Record<string, string> = {
  "auth.sign_in": "登录",
  "auth.sign_out": "退出登录",
  "auth.password_change": "修改密码",
  "auth.switch_dept": "切换部门",
  "case.assigned": "分派来信",
  "case.replied": "答复来信",
  "case.published": "发布到回音壁",
  "case.unpublished": "从回音壁撤下",
  "case.closed": "办结来信",
  "case.reveal": "查看个人信息",
  "user.create": "创建账户",
  "user.add": "添加部门成员",
  "user.role": "修改角色",
  "user.reset_password": "重置密码",
  "user.remove": "移出部门",
  "user.disable": "停用账户",
  "user.enable": "启用账户",
  "dept.create": "新建部门",
  "dept.rename": "修改部门名称",
  "dept.origins": "修改允许嵌入的网站",
  "dept.norms": "修改答复时限",
  "dept.channel_add": "添加通知渠道",
  "dept.channel_remove": "删除通知渠道",
  "dept.unit_create": "新建下属单位",
  "template.create": "新建答复模板",
  "template.update": "修改答复模板",
  "template.delete": "删除答复模板",
  "account.token_create": "创建 API 令牌",
  "account.token_revoke": "撤销 API 令牌",
  "account.sign_out_everywhere": "退出所有设备",
  "audit.export": "导出审计日志",
};

/** An optional filter: absent or empty means "any"; otherwise `schema`'s own messages apply. */
const optional = <T extends v.GenericSchema<string, string>>(schema: T) =>
  v.optional(v.union([v.literal(""), schema]), "");

const date = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, msg("日期应为 年-月-日，如 2025-01-31", "A date is YYYY-MM-DD")),
  // Round-trips, so 2025-02-30 (which some parsers roll over to March) is refused too.
  v.check(
    (s) => {
      const ms = Date.parse(`${s}T00:00:00+08:00`);
      return !Number.isNaN(ms) && new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10) === s;
    },
    msg("没有这一天", "No such date"),
  ),
);

const FilterQuery = v.strictObject(
  {
    action: optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.regex(
          /^[a-z0-9_.-]{1,60}$/,
          msg(
            "操作前缀只能包含小写字母、数字、点和下划线，如 user.",
            "Use a-z, 0-9, . and _ only, e.g. user.",
          ),
        ),
      ),
    ),
    actor: optional(emailField),
    from: optional(date),
    to: optional(date),
    result: v.optional(
      v.pipe(
        v.string(),
        v.check(
          (s) => s === "" || (RESULTS as readonly string[]).includes(s),
          msg("结果应为成功、拒绝或失败", "Result must be ok, denied or failed"),
        ),
      ),
      "",
    ),
    cursor: v.optional(v.string(), ""),
  },
  UNKNOWN_FIELD,
);

const LABELS: Record<string, string> = {
  action: "操作前缀",
  actor: "操作人邮箱",
  from: "开始日期",
  to: "结束日期",
  result: "结果",
  cursor: "分页",
};

type Query = v.InferOutput<typeof FilterQuery>;

/** Keyset cursor of the audit log (functions/lib/cursor.ts): `<epoch ms>.<entry id>`. */
export function encodeAuditCursor(c: AuditCursor): string {
  return encodeCursor(c.at, c.id);
}

export function decodeAuditCursor(raw: string): AuditCursor | undefined {
  if (!raw || raw.length > 64) return undefined;
  const cursor = decodeCursorText(raw);
  if (!cursor || !/^\d{1,16}$/.test(cursor.id)) return undefined;
  const id = Number(cursor.id);
  return Number.isSafeInteger(id) ? { at: cursor.at, id } : undefined;
}

/**
 * The query string as a filter: `{ filter: null }` when the actor e-mail names nobody (the answer
 * is then empty without asking), or an error to show.
 */
async function readFilter(
  c: Context<AppEnv>,
): Promise<{ ok: true; q: Query; filter: AuditFilter | null } | { ok: false; error: string }> {
  const parsed = parseForm(FilterQuery, c.req.query(), LABELS);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const q = parsed.value;
  const from = q.from ? Date.parse(`${q.from}T00:00:00+08:00`) : undefined;
  const to = q.to ? Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000 - 1 : undefined;
  if (from !== undefined && to !== undefined && from > to) {
    return { ok: false, error: "开始日期不能晚于结束日期。（The start date is after the end date.）" };
  }
  const filter: AuditFilter = {
    ...(q.action ? { actionPrefix: q.action } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(q.result ? { result: q.result as (typeof RESULTS)[number] } : {}),
  };
  if (q.actor) {
    const user = await findUserByEmail(c.get("db"), q.actor);
    if (!user) return { ok: true, q, filter: null };
    filter.actorId = user.id;
  }
  return { ok: true, q, filter };
}

/** Beijing time to the second, for the record. */
function beijingSeconds(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

const detailText = (d: Record<string, unknown> | null) => (d ? JSON.stringify(d) : "");

function FilterForm({ q }: { q: Partial<Query> }) {
  return (
    <form method="get" action="/admin/audit" class="filters">
      <div>
        <label for="f-action">操作前缀</label>
        <input id="f-action" name="action" value={q.action ?? ""} maxlength={60} placeholder="如 user." />
      </div>
      <div>
        <label for="f-actor">操作人邮箱</label>
        <input id="f-actor" name="actor" type="email" value={q.actor ?? ""} maxlength={254} />
      </div>
      <div>
        <label for="f-from">日期自</label>
        <input id="f-from" name="from" type="date" value={q.from ?? ""} />
      </div>
      <div>
        <label for="f-to">至</label>
        <input id="f-to" name="to" type="date" value={q.to ?? ""} />
      </div>
      <div>
        <label for="f-result">结果</label>
        <select id="f-result" name="result">
          <option value="">全部</option>
          {RESULTS.map((r) => (
            <option value={r} selected={r === q.result}>
              {RESULT_LABEL[r]}
            </option>
          ))}
        </select>
      </div>
      <div>
        <button type="submit">筛选</button>
      </div>
      <div>
        <button type="submit" formaction="/admin/audit/export.csv" class="secondary">
          导出 CSV
        </button>
      </div>
    </form>
  );
}

function AuditTable({ rows }: { rows: AuditEntry[] }) {
  if (!rows.length) return <p class="muted">没有符合条件的记录。</p>;
  // Seven columns are wider than a tablet: the table scrolls in its own box (focusable, so that the
  // keyboard scrolls it too), the page does not.
  return (
    <section class="scroll" aria-label="审计记录" tabindex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">时间</th>
            <th scope="col">操作人</th>
            <th scope="col">操作</th>
            <th scope="col">对象</th>
            <th scope="col">结果</th>
            <th scope="col">来源</th>
            <th scope="col">详情</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{beijingSeconds(r.createdAt)}</td>
              <td>{r.actorEmail ?? <span class="muted">（系统）</span>}</td>
              <td>
                {ACTION_LABEL[r.action] ?? r.action}
                <div class="muted">
                  <code>{r.action}</code>
                </div>
              </td>
              <td>{r.target ?? ""}</td>
              <td class={r.result === "ok" ? undefined : "overdue"}>{RESULT_LABEL[r.result] ?? r.result}</td>
              <td>{maskIp(r.ip)}</td>
              <td class="detail">
                {detailText(r.detail)}
                {r.requestId ? <div class="muted">请求 {r.requestId}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

auditPages.get("/audit", async (c) => {
  const dept = await allowedDept(c, "audit.read", "audit.view");
  const read = await readFilter(c);
  if (!read.ok) {
    return adminPage(
      c,
      { title: "审计日志", active: "/admin/audit", error: read.error, status: 400 },
      <>
        <h1>审计日志</h1>
        <FilterForm q={{}} />
      </>,
    );
  }
  const { q, filter } = read;
  const cursor = decodeAuditCursor(q.cursor);
  const rows = filter ? await listAudit(c.get("db"), dept, filter, PAGE_SIZE + 1, cursor) : [];
  const page = rows.slice(0, PAGE_SIZE);
  const last = page.at(-1);
  const keep = new URLSearchParams(
    Object.entries(q).filter(([k, val]) => k !== "cursor" && typeof val === "string" && val !== "") as [
      string,
      string,
    ][],
  );
  const nextHref =
    rows.length > PAGE_SIZE && last
      ? `/admin/audit?${new URLSearchParams([...keep, ["cursor", encodeAuditCursor({ at: last.createdAt, id: last.id })]])}`
      : null;
  return adminPage(
    c,
    { title: "审计日志", active: "/admin/audit" },
    <>
      <h1>审计日志</h1>
      <p class="muted">
        本部门工作人员的操作记录（时间为北京时间）。记录只增不改，至少保存六个月（《网络安全法》第二十一条）。
      </p>
      <FilterForm q={q} />
      {filter ? null : <p class="muted">没有使用该邮箱的用户。</p>}
      <AuditTable rows={page} />
      <p>
        {cursor ? <a href={`/admin/audit?${keep}`}>回到第一页</a> : null}{" "}
        {nextHref ? <a href={nextHref}>下一页</a> : null}
      </p>
    </>,
  );
});

const CSV_HEADER = [
  "时间（北京时间）",
  "操作人",
  "操作",
  "操作说明",
  "对象",
  "结果",
  "来源",
  "请求编号",
  "详情",
];

/**
 * The export as chunks of text: the BOM and header, then one chunk per page of `pageSize` entries,
 * read by keyset — at most one page is in memory at a time.
 */
export async function* auditCsvChunks(
  db: Db,
  deptId: string,
  filter: AuditFilter | null,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<string> {
  yield CSV_BOM + csvRow(CSV_HEADER);
  if (!filter) return;
  let cursor: AuditCursor | undefined;
  for (;;) {
    const rows = await listAudit(db, deptId, filter, pageSize, cursor);
    if (rows.length) {
      yield rows
        .map((r) =>
          csvRow([
            beijingSeconds(r.createdAt),
            r.actorEmail ?? "（系统）",
            r.action,
            ACTION_LABEL[r.action] ?? "",
            r.target,
            RESULT_LABEL[r.result] ?? r.result,
            maskIp(r.ip),
            r.requestId,
            detailText(r.detail),
          ]),
        )
        .join("");
    }
    const last = rows.at(-1);
    if (rows.length < pageSize || !last) return;
    cursor = { at: last.createdAt, id: last.id };
  }
}

auditPages.get("/audit/export.csv", async (c) => {
  const dept = await allowedDept(c, "audit.read", "audit.export");
  const read = await readFilter(c);
  if (!read.ok) {
    await audit(c, { deptId: dept, action: "audit.export", result: "failed", detail: { reason: "invalid" } });
    return adminPage(
      c,
      { title: "审计日志", active: "/admin/audit", error: read.error, status: 400 },
      <>
        <h1>审计日志</h1>
        <FilterForm q={{}} />
      </>,
    );
  }
  const { cursor: _, ...filters } = read.q;
  await audit(c, {
    deptId: dept,
    action: "audit.export",
    result: "ok",
    detail: Object.fromEntries(Object.entries(filters).filter(([, val]) => val !== "")),
  });
  const d = await getDepartment(c.get("db"), dept);
  const chunks = auditCsvChunks(c.get("db"), dept, read.filter);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    // Pull one page only when the client has taken the previous one.
    { highWaterMark: 0 },
  );
  const day = beijingSeconds(Date.now()).slice(0, 10).replace(/-/g, "");
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-${d?.slug ?? "dept"}-${day}.csv"`,
      "Cache-Control": "no-store",
    },
  });
});
