/**
 * 表单与嵌入: the current department's forms with the code a web team pastes into the department's
 * site (script tag, a placed <div>, button mode, plain iframe), the widget's address, and a QR code
 * poster for the service hall (SVG, A4) with the bare QR code as a PNG.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { t } from "../../forms/language.ts";
import { listDeptForms } from "../../schema/queries/forms.ts";
import { can } from "../auth/permissions.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { adminPage, currentDept } from "./admin-layout.tsx";
import { posterSvg } from "./poster.ts";
import { qrMatrix, qrPng } from "./qr-code.ts";

export const formPages = new Hono<AppEnv>();

const STATUS_LABEL = { active: "开放", coming_soon: "即将开放", closed: "已关闭" } as const;
/** The three widgets in the order DESIGN.md §2 gives them; a department's own forms follow their kind. */
const KIND_ORDER = { opinion: 0, survey: 1, disclosure: 2 } as const;

/** The origin citizens reach this deployment at: PUBLIC_ORIGIN when set (behind a proxy), else this request's. */
export function publicOrigin(c: Context<AppEnv>): string {
  const configured = c.env.PUBLIC_ORIGIN;
  if (configured) {
    try {
      const u = new URL(configured);
      if (u.protocol === "https:" || u.protocol === "http:") return u.origin;
    } catch {
      // A malformed setting falls back to the request's origin rather than printing a broken code.
    }
  }
  return new URL(c.req.url).origin;
}

/** What the button of the button mode says, by the form's kind. */
const BUTTON_LABEL = { opinion: "我要留言", survey: "参与评价", disclosure: "申请信息公开" } as const;

/**
 * The embed snippets for one form, in the order the page offers them.
 * @example embedCodes("https://huiyin.example", "demo", "opinion", "意见箱", "opinion")[0].code
 */
export function embedCodes(
  origin: string,
  deptSlug: string,
  formSlug: string,
  title: string,
  kind: keyof typeof BUTTON_LABEL = "opinion",
) {
  const spec = `${deptSlug}/${formSlug}`;
  const script = `${origin}/embed.js`;
  return [
    {
      id: "script",
      label: "脚本嵌入（推荐）：把这一行放在网页中要显示表单的位置",
      code: `<script src="${script}" data-huiyin-form="${spec}" async></script>`,
    },
    {
      id: "div",
      label: "指定位置：先放占位 div，再在页面任意处（如页尾）引入一次 embed.js",
      code: `<div data-huiyin-form="${spec}"></div>\n<script src="${script}" async></script>`,
    },
    {
      id: "button",
      label: `按钮模式：页面上显示“${BUTTON_LABEL[kind]}”按钮，点击后弹出表单`,
      code: `<script src="${script}" data-huiyin-form="${spec}" data-huiyin-mode="button" data-huiyin-label="${BUTTON_LABEL[kind]}" async></script>`,
    },
    {
      id: "iframe",
      label: "纯 iframe：网站不允许放脚本时使用（高度固定，不会自动调整）",
      code: `<iframe src="${origin}/w/${spec}" title="${title.replace(/[<>&"]/g, "")}" width="100%" height="720" style="border:0"></iframe>`,
    },
  ];
}

async function loadForms(c: Context<AppEnv>) {
  const dept = currentDept(c);
  if (!can(c.get("staff")!, dept, "forms.read")) {
    throw new AppError("forbidden", "您的角色不能查看表单", "Your role may not view forms");
  }
  const found = await listDeptForms(c.get("db"), dept);
  if (!found) throw new AppError("not_found", "找不到该部门", "No such department");
  return found;
}

async function loadForm(c: Context<AppEnv>) {
  const found = await loadForms(c);
  const slug = c.req.param("form") ?? "";
  const form = found.forms.find((f) => f.slug === slug);
  if (!form) throw new AppError("not_found", "找不到该表单", "No such form");
  const origin = publicOrigin(c);
  // new URL(…).href percent-encodes anything outside ASCII, which is what the QR code's byte mode needs.
  const url = new URL(`/w/${found.dept.slug}/${form.slug}`, origin).href;
  return { dept: found.dept, form, url, title: t(form.definition.title, "zh-CN"), origin };
}

formPages.get("/forms", async (c) => {
  const found = await loadForms(c);
  const dept = found.dept;
  const forms = [...found.forms].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const origin = publicOrigin(c);
  const origins = dept.allowedOrigins;
  return adminPage(
    c,
    { title: "表单与嵌入", active: "/admin/forms" },
    <>
      <h1>表单与嵌入</h1>
      <p>
        把下面的代码复制到部门网站的网页中即可显示表单；来信人的个人信息只在回音的页面中填写，不会经过部门网站。
        也可以打印二维码海报张贴在办事大厅。
      </p>
      {origins.length ? (
        <p class="muted">允许嵌入表单的网站：{origins.join("、")}</p>
      ) : (
        <p class="error">
          尚未登记允许嵌入表单的网站，嵌入后表单不会显示（二维码和链接不受影响）。
          {can(c.get("staff")!, dept.id, "settings.manage") ? (
            <>
              {" "}
              请在<a href="/admin/settings">部门设置</a>中登记。
            </>
          ) : (
            " 请联系本部门管理员登记。"
          )}
        </p>
      )}
      {forms.map((f) => {
        const title = t(f.definition.title, "zh-CN");
        const url = new URL(`/w/${dept.slug}/${f.slug}`, origin).href;
        const base = `/admin/forms/${f.slug}`;
        return (
          <section class="form-card" aria-labelledby={`form-${f.slug}`}>
            <h2 id={`form-${f.slug}`}>
              {title} <span class="tag">{STATUS_LABEL[f.status]}</span>
            </h2>
            {f.status !== "active" ? (
              <p class="muted">该表单尚未开放：嵌入后会显示“即将开放”，开放后无需更换代码。</p>
            ) : null}
            <p>
              表单地址：
              <a class="code" href={url}>
                {url}
              </a>
            </p>
            <div class="row">
              <div>
                {embedCodes(origin, dept.slug, f.slug, title, f.kind).map((e) => (
                  <>
                    <label for={`embed-${f.slug}-${e.id}`}>{e.label}</label>
                    <textarea
                      id={`embed-${f.slug}-${e.id}`}
                      class="embed"
                      readonly
                      rows={e.code.includes("\n") ? 3 : 2}
                      spellcheck={false}
                    >
                      {e.code}
                    </textarea>
                  </>
                ))}
                <p class="muted">英文界面：在代码中加上 data-huiyin-lang="en"，或在表单地址后加 ?lang=en。</p>
              </div>
              <div class="qr-box">
                <img class="qr" src={`${base}/qr.png`} alt={`${title}的二维码，扫码打开 ${url}`} />
                <p>
                  <a href={`${base}/poster.svg`} download={`${dept.slug}-${f.slug}-poster.svg`}>
                    下载办事大厅海报（A4，SVG）
                  </a>
                  <br />
                  <a href={`${base}/qr.png`} download={`${dept.slug}-${f.slug}-qr.png`}>
                    下载二维码图片（PNG）
                  </a>
                </p>
              </div>
            </div>
          </section>
        );
      })}
    </>,
  );
});

const asciiFilename = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

formPages.get("/forms/:form/poster.svg", async (c) => {
  const { dept, form, url, title, origin } = await loadForm(c);
  const svg = posterSvg({
    deptName: dept.name,
    formTitle: title,
    url,
    trackUrl: new URL("/t", origin).href,
    matrix: qrMatrix(url),
  });
  return c.body(svg, 200, {
    "Content-Type": "image/svg+xml; charset=utf-8",
    "Content-Disposition": `inline; filename="${asciiFilename(`${dept.slug}-${form.slug}-poster.svg`)}"`,
    "Cache-Control": "no-store",
  });
});

formPages.get("/forms/:form/qr.png", async (c) => {
  const { dept, form, url } = await loadForm(c);
  const png = await qrPng(qrMatrix(url));
  return c.body(png, 200, {
    "Content-Type": "image/png",
    "Content-Disposition": `inline; filename="${asciiFilename(`${dept.slug}-${form.slug}-qr.png`)}"`,
    "Cache-Control": "no-store",
  });
});
