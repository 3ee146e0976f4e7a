/**
 * Citizen-facing pages: embed.js, the widget (GET renders, POST is the no-JavaScript submit), the
 * tracking page and the echo wall. JSON lives in public/public-api.routes.ts; both share `submit`.
 */
import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { answersFromForm } from "../../forms/compile.ts";
import { LANGS, t } from "../../forms/language.ts";
import { FormView } from "../../forms/render.tsx";
import { EMBED_JS, EMBED_JS_ETAG } from "../../forms/widget/assets.gen.ts";
import { findPublicCase } from "../../schema/queries/cases.ts";
import type { LoadedForm } from "../../schema/queries/forms.ts";
import { departments } from "../../schema/tables.ts";
import { botCheckMode, issueNoJsToken } from "../abuse/bot-check.ts";
import { readBody } from "../lib/body.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { formatTrackingCode, normalizeTrackingCode } from "../lib/tracking-code.ts";
import { clientIp, echoWallPage, loadForm } from "../public/public-api.routes.ts";
import { type SubmissionResponse, submit } from "../submissions/submit.ts";
import { beijingTime, categoryLabel, eventLabel, statusLabel } from "./labels.ts";
import { renderPage, TopBar } from "./layout.tsx";

export const widgetRoutes = new Hono<AppEnv>();

widgetRoutes.get("/embed.js", (c) => {
  const headers = {
    "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
    ETag: EMBED_JS_ETAG,
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
  if (etagMatches(c.req.header("if-none-match"), EMBED_JS_ETAG)) return c.body(null, 304, headers);
  return c.body(EMBED_JS, 200, { "Content-Type": "text/javascript; charset=utf-8", ...headers });
});

/**
 * If-None-Match uses the weak comparison and may list several tags (RFC 9110 §13.1.2): Cloudflare
 * weakens a strong ETag to W/"…" when it compresses the response, and browsers send that back.
 */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

const large = (c: Context<AppEnv>) => c.req.query("large") === "1";

/** The page's language and large text, carried to the next page (even without JavaScript). */
const carry = (c: Context<AppEnv>) => {
  const q = [c.get("lang") === "en" ? "lang=en" : "", large(c) ? "large=1" : ""].filter(Boolean).join("&");
  return q ? `?${q}` : "";
};

async function formPage(
  c: Context<AppEnv>,
  form: LoadedForm,
  state: { values?: Record<string, unknown>; errors?: Record<string, string> },
  status = 200,
) {
  const lang = c.get("lang");
  const def = form.definition;
  const path = `/w/${form.deptSlug}/${def.slug}`;
  const mode = botCheckMode(c.env);
  const common = {
    lang,
    title: `${t(def.title, lang)} · ${form.deptName}`,
    frameAncestors: form.allowedOrigins,
    large: large(c),
  };
  const header = (
    <>
      <TopBar lang={lang} path={path} large={large(c)} />
      <h1>{t(def.title, lang)}</h1>
      <p class="meta">{form.deptName}</p>
    </>
  );
  if (form.status !== "active") {
    return renderPage(
      { ...common, status: 200 },
      <>
        {header}
        <p class="soon">{lang === "en" ? "This form opens soon." : "该功能即将开放，敬请期待。"}</p>
      </>,
    );
  }
  const hidden: Record<string, string> = { _idempotency: crypto.randomUUID(), _lang: lang };
  if (mode !== "off") hidden._t = await issueNoJsToken(c.env, Date.now());
  return renderPage(
    { ...common, script: true, turnstile: mode === "turnstile", status },
    <>
      {header}
      {def.description ? <p>{t(def.description, lang)}</p> : null}
      <FormView
        def={def}
        lang={lang}
        action={`${path}${carry(c)}`}
        state={state}
        hiddenFields={hidden}
        api={`/api/v1/forms/${form.deptSlug}/${def.slug}/submissions`}
        bot={mode}
      />
      {mode === "turnstile" ? (
        <div class="cf-turnstile" data-sitekey={c.env.TURNSTILE_SITE_KEY ?? ""} />
      ) : null}
    </>,
  );
}

widgetRoutes.get("/w/:dept/:form", async (c) => {
  return formPage(c, await loadForm(c), {});
});

/** The no-JavaScript submit: a plain form post answered by a receipt page, or the form with errors. */
widgetRoutes.post("/w/:dept/:form", async (c) => {
  const form = await loadForm(c);
  const lang = c.get("lang");
  let values: Record<string, unknown> = {};
  try {
    const body = await readBody(c);
    if (body.type !== "form")
      throw new AppError("unsupported_media_type", "请通过表单提交", "Submit through the form");
    values = answersFromForm(form.definition, body.value);
    const first = (...names: string[]) => {
      for (const n of names) {
        const v = body.value.get(n);
        if (typeof v === "string" && v) return v;
      }
      return undefined;
    };
    const outcome = await submit(c.env, c.get("db"), form, {
      answers: values,
      lang: LANGS.find((l) => l === first("_lang")) ?? lang,
      idempotencyKey: first("_idempotency"),
      botToken: first("altcha", "cf-turnstile-response", "_t"),
      clientIp: clientIp(c),
    });
    return receiptPage(c, form, outcome.body);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "validation_failed" || !error.issues) {
      if (error instanceof AppError && error.status < 500) return errorPage(c, form, error);
      throw error;
    }
    const errors: Record<string, string> = {};
    for (const issue of error.issues) {
      const id = issue.path.replace(/^answers\./, "").split(".")[0]!;
      errors[id] ??= lang === "en" ? issue.messageEn : issue.message;
    }
    return formPage(c, form, { values, errors }, 400);
  }
});

function errorPage(c: Context<AppEnv>, form: LoadedForm, error: AppError) {
  const lang = c.get("lang");
  const page = renderPage(
    {
      lang,
      title: form.deptName,
      frameAncestors: form.allowedOrigins,
      large: large(c),
      status: error.status,
    },
    <>
      <h1>{lang === "en" ? "Not sent" : "提交未成功"}</h1>
      <p role="alert">{lang === "en" ? error.messageEn : error.messageZh}</p>
      <p>
        <a href={`/w/${form.deptSlug}/${form.definition.slug}?lang=${lang}${large(c) ? "&large=1" : ""}`}>
          {lang === "en" ? "Back to the form" : "返回表单"}
        </a>
      </p>
    </>,
  );
  // The error's headers (Retry-After on a 429) belong on the page as on the JSON answer.
  for (const [k, v] of Object.entries(error.headers ?? {})) page.headers.set(k, v);
  return page;
}

function receiptPage(c: Context<AppEnv>, form: LoadedForm, r: SubmissionResponse) {
  const lang = c.get("lang");
  const en = lang === "en";
  return renderPage(
    {
      lang,
      title: en ? "Sent" : "提交成功",
      frameAncestors: form.allowedOrigins,
      large: large(c),
      status: 201,
    },
    <div class="receipt">
      <h1>{en ? "Sent" : "提交成功"}</h1>
      <p>{en ? "Your tracking code" : "您的查询码"}</p>
      <p class="code">{formatTrackingCode(r.trackingCode)}</p>
      <p>
        {en
          ? `Keep this code to follow progress and read the reply. We will answer by ${r.dueDate}.`
          : `请记下查询码，凭它查看办理进度和答复。我们将于 ${r.dueDate} 前答复。`}
      </p>
      <a href={`${r.trackUrl}${carry(c)}`}>{en ? "Follow progress" : "查看办理进度"}</a>
    </div>,
  );
}

async function allowedOriginsOf(c: Context<AppEnv>, deptId: string): Promise<string[]> {
  const d = await c
    .get("db")
    .select({ o: departments.allowedOrigins })
    .from(departments)
    .where(eq(departments.id, deptId))
    .get();
  return d?.o ?? [];
}

widgetRoutes.get("/t", (c) => {
  const code = normalizeTrackingCode(c.req.query("code") ?? "");
  if (code) return c.redirect(`/t/${code}${carry(c)}`, 303);
  return trackLookupPage(c, c.req.query("code") !== undefined, 200);
});

function trackLookupPage(c: Context<AppEnv>, failed: boolean, status: number) {
  const lang = c.get("lang");
  const en = lang === "en";
  return renderPage(
    { lang, title: en ? "Track" : "办理进度查询", large: large(c), status, script: true },
    <>
      <TopBar lang={lang} path="/t" large={large(c)} />
      <h1>{en ? "Follow your message" : "办理进度查询"}</h1>
      <form method="get" action="/t">
        <input type="hidden" name="lang" value={lang} />
        {large(c) ? <input type="hidden" name="large" value="1" /> : null}
        <div class="q">
          <label for="code">{en ? "Tracking code" : "查询码"}</label>
          <input
            id="code"
            name="code"
            type="text"
            autocomplete="off"
            maxlength={20}
            aria-describedby="code-err"
            aria-invalid={failed ? "true" : undefined}
          />
          <p class="err" id="code-err" role="alert" hidden={!failed}>
            {en ? "No message has this code. Please check it." : "查询码不存在，请核对后重试。"}
          </p>
        </div>
        <button type="submit" class="primary">
          {en ? "Look up" : "查询"}
        </button>
      </form>
    </>,
  );
}

widgetRoutes.get("/t/:code", async (c) => {
  const lang = c.get("lang");
  const en = lang === "en";
  const code = normalizeTrackingCode(c.req.param("code"));
  const found = code ? await findPublicCase(c.get("db"), code) : null;
  if (!found) return trackLookupPage(c, true, 404);
  return renderPage(
    {
      lang,
      title: en ? "Progress" : "办理进度",
      frameAncestors: await allowedOriginsOf(c, found.deptId),
      large: large(c),
      script: true,
    },
    <>
      <TopBar lang={lang} path={`/t/${found.trackingCode}`} large={large(c)} />
      <h1>{en ? "Progress" : "办理进度"}</h1>
      <p class="code">{formatTrackingCode(found.trackingCode)}</p>
      <p>
        {en ? "Type: " : "类型："}
        {categoryLabel(found.category, lang)}
        <br />
        {en ? "Status: " : "状态："}
        <strong>{statusLabel(found.state, lang)}</strong>
        <br />
        {en ? "Reply due by: " : "答复期限："}
        {found.dueDate}
      </p>
      <h2>{en ? "Timeline" : "办理过程"}</h2>
      <ol class="timeline">
        {found.timeline.map((e) => (
          <li>
            <span class="meta">{beijingTime(e.at)}</span> {eventLabel(e.type, lang)}
          </li>
        ))}
      </ol>
      {found.replyText ? (
        <>
          <h2>{en ? "Reply" : "答复内容"}</h2>
          <div class="reply">{found.replyText}</div>
        </>
      ) : null}
    </>,
  );
});

widgetRoutes.get("/echo/:dept", async (c) => {
  const lang = c.get("lang");
  const en = lang === "en";
  const page = await echoWallPage(c);
  const dept = await c
    .get("db")
    .select({ o: departments.allowedOrigins })
    .from(departments)
    .where(eq(departments.slug, page.dept.slug))
    .get();
  return renderPage(
    {
      lang,
      title: `${en ? "Echo wall" : "回音壁"} · ${page.dept.name}`,
      frameAncestors: dept?.o ?? [],
      large: large(c),
      script: true,
    },
    <>
      <TopBar lang={lang} path={`/echo/${page.dept.slug}`} large={large(c)} />
      <h1>{en ? "Echo wall" : "回音壁"}</h1>
      <p class="meta">{page.dept.name}</p>
      {page.items.length === 0 ? <p>{en ? "Nothing published yet." : "暂无公开的来信。"}</p> : null}
      {page.items.map((item) => (
        <article class="item">
          <h2>{item.subject}</h2>
          <p class="meta">
            {categoryLabel(item.category, lang)} · {item.submittedOn}
          </p>
          <p class="body">{item.body}</p>
          <p>
            <strong>{en ? "Reply" : "答复"}</strong>
            {item.repliedAt ? <span class="meta"> · {beijingTime(item.repliedAt)}</span> : null}
          </p>
          <div class="reply">{item.reply}</div>
        </article>
      ))}
      {page.nextCursor ? (
        <p>
          <a
            href={`/echo/${page.dept.slug}?cursor=${page.nextCursor}&lang=${lang}${large(c) ? "&large=1" : ""}`}
          >
            {en ? "Older" : "更早的来信"}
          </a>
        </p>
      ) : null}
    </>,
  );
});
