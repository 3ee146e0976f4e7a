/**
 * The pages the browser benchmarks load: a department's host page in several variants, a bare
 * 300-byte form on another origin (the floor of any iframe embed), and SurveyJS (bench-only, from
 * .bench/node_modules) showing a 10-question form.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR, type StaticRoute } from "./servers.ts";

/** SurveyJS versions the comparison uses (installed with `npm install --prefix .bench`, never a product dependency). */
export const SURVEYJS_VERSION = "2.5.38";
export const SURVEYJS_INSTALL = `npm install --prefix .bench --no-save survey-core@${SURVEYJS_VERSION} survey-js-ui@${SURVEYJS_VERSION}`;
const SJS = join(BENCH_DIR, "node_modules");

function host(head: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>示范市卫生健康委员会 · 政务公开</title>
<style>body{font-family:serif;margin:0;background:#f4efe6}header{background:#8b1a1a;color:#fff;padding:8px 16px}h1{font-size:20px;margin:0}main{max-width:720px;margin:0 auto;padding:8px 16px}</style>${head}</head>
<body><header><h1>示范市卫生健康委员会</h1></header>
<main><h2>意见箱</h2><p>欢迎通过下面的意见箱向我们反映问题、提出建议。</p>
${body}
</main></body></html>`;
}

/** A bare form of about 300 bytes: what any iframe embed costs at the least. */
export const BARE_FORM = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>留言</title><form method="post" action="/s"><p><label>标题 <input name="s" required></label></p><p><label>内容<br><textarea name="b" rows="5" required></textarea></label></p><button>提交</button></form></html>`;

export interface HostPages {
  /** path on the host origin → what it embeds */
  routes: Map<string, StaticRoute>;
  surveyjs: boolean;
}

/**
 * @param worker Huiyin's origin as the browser sees it (http://localhost:8800)
 * @param other  the other origin serving the bare form (http://localhost:8805)
 */
export function hostPages(worker: string, other: string): HostPages {
  const html = (body: string): StaticRoute => ({ type: "text/html; charset=utf-8", body });
  const routes = new Map<string, StaticRoute>([
    ["/empty.html", html(host("", ""))],
    [
      "/widget.html",
      html(host("", `<script src="${worker}/embed.js" data-huiyin-form="demo/opinion" async></script>`)),
    ],
    [
      "/widget-satisfaction.html",
      html(host("", `<script src="${worker}/embed.js" data-huiyin-form="demo/satisfaction" async></script>`)),
    ],
    [
      "/widget-disclosure.html",
      html(host("", `<script src="${worker}/embed.js" data-huiyin-form="demo/disclosure" async></script>`)),
    ],
    // Design variants (see usable.ts): the same widget with fewer sequential round trips.
    [
      "/widget-preconnect.html",
      html(
        host(
          `<link rel="preconnect" href="${worker}">`,
          `<script src="${worker}/embed.js" data-huiyin-form="demo/opinion" async></script>`,
        ),
      ),
    ],
    [
      "/widget-iframe.html",
      html(
        host(
          "",
          `<iframe src="${worker}/w/demo/opinion?embed=1" data-huiyin-form="demo/opinion" title="意见箱" style="display:block;width:100%;height:420px;border:0"></iframe>
<script src="${worker}/embed.js" async></script>`,
        ),
      ),
    ],
    [
      "/bare.html",
      html(
        host(
          "",
          `<iframe src="${other}/form.html" title="留言" style="display:block;width:100%;height:420px;border:0"></iframe>`,
        ),
      ),
    ],
  ]);
  const surveyjs = existsSync(join(SJS, "survey-core/survey.core.min.js"));
  if (surveyjs) {
    const file = (p: string, type: string): StaticRoute => ({ type, body: readFileSync(join(SJS, p)) });
    routes.set("/sjs/survey-core.min.css", file("survey-core/survey-core.min.css", "text/css"));
    routes.set("/sjs/survey.core.min.js", file("survey-core/survey.core.min.js", "text/javascript"));
    routes.set("/sjs/zh-cn.min.js", file("survey-core/i18n/simplified-chinese.min.js", "text/javascript"));
    routes.set("/sjs/survey-js-ui.min.js", file("survey-js-ui/survey-js-ui.min.js", "text/javascript"));
    routes.set("/sjs/boot.js", { type: "text/javascript", body: SURVEY_BOOT });
    routes.set(
      "/surveyjs.html",
      html(
        host(
          `<link rel="stylesheet" href="/sjs/survey-core.min.css">`,
          `<div id="survey"></div>
<script src="/sjs/survey.core.min.js"></script>
<script src="/sjs/zh-cn.min.js"></script>
<script src="/sjs/survey-js-ui.min.js"></script>
<script src="/sjs/boot.js"></script>`,
        ),
      ),
    );
  }
  return { routes, surveyjs };
}

export const otherOriginRoutes = () =>
  new Map<string, StaticRoute>([["/form.html", { type: "text/html; charset=utf-8", body: BARE_FORM }]]);

/** Ten questions in the spirit of the opinion box, as a SurveyJS definition. */
export const SURVEY_10 = {
  title: "意见箱",
  locale: "zh-cn",
  showQuestionNumbers: "off",
  pages: [
    {
      elements: [
        {
          type: "radiogroup",
          name: "kind",
          title: "类型",
          isRequired: true,
          choices: [
            { value: "consult", text: "咨询" },
            { value: "suggest", text: "建议" },
            { value: "complain", text: "投诉" },
            { value: "report", text: "举报" },
            { value: "disclose", text: "点题公开" },
            { value: "correction", text: "纠错" },
          ],
        },
        { type: "text", name: "pageUrl", title: "出错的网页地址", visibleIf: "{kind} = 'correction'" },
        { type: "text", name: "subject", title: "标题", isRequired: true, maxLength: 100 },
        { type: "comment", name: "body", title: "内容", isRequired: true, maxLength: 5000 },
        {
          type: "dropdown",
          name: "district",
          title: "所在区县",
          choices: ["城关区", "东城区", "西城区", "南湖区", "北山县"],
        },
        {
          type: "rating",
          name: "satisfaction",
          title: "您对我们以往答复的满意程度",
          rateMin: 1,
          rateMax: 5,
        },
        { type: "text", name: "name", title: "姓名（选填）", maxLength: 50 },
        {
          type: "text",
          name: "contact",
          title: "手机号码或电子邮箱（选填）",
          validators: [{ type: "regex", regex: "^(1[3-9]\\d{9}|[^\\s@]+@[^\\s@]+\\.[^\\s@]+)$" }],
        },
        {
          type: "checkbox",
          name: "channel",
          title: "您是通过什么途径知道意见箱的",
          choices: ["部门网站", "微信公众号", "政务服务大厅", "其他"],
        },
        { type: "boolean", name: "publish", title: "同意在回音壁上公开（隐去个人信息）" },
      ],
    },
  ],
};

/** Renders the survey and marks the first frame after it rendered as "usable". */
const SURVEY_BOOT = `(function () {
  var model = new Survey.Model(${JSON.stringify(SURVEY_10)});
  model.onAfterRenderSurvey.add(function () {
    requestAnimationFrame(function () { window.__usable = performance.now(); });
  });
  model.render(document.getElementById("survey"));
})();
`;
