/**
 * Seeds the local D1 (or with --remote the deployed one) with the demo department `demo`, its three
 * built-in forms and a few answered opinions on the echo wall. Safe to run again: nothing is duplicated.
 */
import { addWorkingDays, beijingDate } from "../functions/lib/working-days.ts";
import { builtinFormsSql, departmentSql } from "./lib/bootstrap-sql.ts";
import { lit, migrate, runSql } from "./lib/d1.ts";

const remote = process.argv.includes("--remote");

export const DEMO_DEPT = { slug: "demo", name: "示范市卫生健康委员会" };
const DEMO_DEPT_ID = "00000000-0000-4000-8000-00000000de70";

/** Answered opinions in the spirit of the seed documents (openness work of a health authority). */
const DEMO_OPINIONS = [
  {
    code: "DEMQ2345ABCD",
    category: "suggest",
    subject: "建议公开医疗机构监督检查结果",
    body: "贵委网站的“政策法规”栏目更新及时，但医疗机构日常监督检查的结果很难查到，建议按季度集中公开，方便群众就医时参考。",
    reply:
      "感谢您的建议。我委已将医疗机构监督检查结果纳入主动公开目录，自下季度起在门户网站“监督检查”专栏按季度公开，并同步在政务服务大厅电子屏展示。",
    daysAgo: 12,
  },
  {
    code: "DEMR6789EFGH",
    category: "consult",
    subject: "申请公开政府信息需要多长时间答复？",
    body: "想了解向贵委申请公开政府信息，一般多久能收到答复？可以通过网上提交吗？",
    reply:
      "您好。依据《中华人民共和国政府信息公开条例》第三十三条，能够当场答复的当场答复；不能当场答复的，自收到申请之日起 20 个工作日内答复，需要延长的经负责人同意可延长不超过 20 个工作日。可通过本网站“依申请公开”栏目在线提交。",
    daysAgo: 6,
  },
  {
    code: "DEMS2468JKLM",
    category: "correction",
    subject: "“机构职能”页面链接打不开",
    body: "网站首页“机构职能”栏目中“内设机构”链接点击后显示 404。",
    reply: "感谢指正。该链接已于当日修复，我们也对全站链接进行了一次检查。",
    daysAgo: 3,
  },
];

function demoOpinionsSql(now: number): string {
  return DEMO_OPINIONS.map((o, i) => {
    const created = now - o.daysAgo * 86_400_000;
    const replied = created + 2 * 86_400_000;
    const id = `00000000-0000-4000-8000-0000000000${String(i + 1).padStart(2, "0")}`;
    const due = addWorkingDays(beijingDate(created), o.category === "correction" ? 3 : 10);
    const answers = JSON.stringify({ kind: o.category, subject: o.subject, body: o.body, publish: true });
    return `INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, category, subject, body, answers, consent_publish, published, due_date, reply_text, replied_at, closed_at, published_at, lang, rev, created_at, updated_at)
SELECT ${lit(id)}, d.id, f.id, 'opinion', ${lit(o.code)}, 'closed', ${lit(o.category)}, ${lit(o.subject)}, ${lit(o.body)}, ${lit(answers)}, 1, 1, ${lit(due)}, ${lit(o.reply)}, ${replied}, ${replied + 3_600_000}, ${replied + 7_200_000}, 'zh-CN', 'seed', ${created}, ${replied + 7_200_000}
FROM departments d JOIN forms f ON f.dept_id = d.id AND f.slug = 'opinion' WHERE d.slug = 'demo'
ON CONFLICT(id) DO NOTHING;
INSERT INTO case_events (case_id, dept_id, type, data, public, created_at)
SELECT ${lit(id)}, dept_id, e.type, '{}', 1, e.at FROM cases, (SELECT 'received' AS type, ${created} AS at UNION ALL SELECT 'replied', ${replied} UNION ALL SELECT 'closed', ${replied + 3_600_000}) e
WHERE cases.id = ${lit(id)} AND NOT EXISTS (SELECT 1 FROM case_events WHERE case_id = ${lit(id)});`;
  }).join("\n");
}

export function seed(): void {
  migrate(remote);
  runSql(
    [
      departmentSql(DEMO_DEPT_ID, DEMO_DEPT.slug, DEMO_DEPT.name, [
        "http://localhost:*",
        "http://127.0.0.1:*",
      ]),
      builtinFormsSql(DEMO_DEPT.slug),
      demoOpinionsSql(Date.now()),
    ].join("\n"),
    remote,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  seed();
  console.log(
    `seeded department "${DEMO_DEPT.slug}" (${DEMO_DEPT.name}) on the ${remote ? "remote" : "local"} D1`,
  );
}
