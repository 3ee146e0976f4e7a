/**
 * The citizen-facing page shell: one HTML response with the stylesheet (and the widget script) inlined,
 * so a phone on a slow link needs a single round trip. The script enhances the form page; on the
 * tracking pages and the echo wall it still sizes the host's iframe and keeps large text on. The CSP
 * names the inline parts by their hashes.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Lang } from "../../forms/language.ts";
import {
  WIDGET_CSS,
  WIDGET_CSS_HASH,
  WIDGET_JS,
  WIDGET_JS_EN,
  WIDGET_JS_EN_HASH,
  WIDGET_JS_HASH,
} from "../../forms/widget/assets.gen.ts";
import type { AppError } from "../lib/errors.ts";
import { frameAncestorSources, pageCsp } from "../lib/security-headers.ts";

export const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

export interface PageOptions {
  lang: Lang;
  title: string;
  /** Origins that may frame this page (the department's allowed origins); none → not framable. */
  frameAncestors?: string[];
  script?: boolean;
  turnstile?: boolean;
  large?: boolean;
  status?: number;
}

/** Switches between 中文 and English and toggles large text; works without JavaScript too. */
export function TopBar({ lang, path, large }: { lang: Lang; path: string; large: boolean }) {
  const other = lang === "en" ? "zh-CN" : "en";
  const q = (l: string, big: boolean) => `${path}?lang=${l}${big ? "&large=1" : ""}`;
  const labels =
    lang === "en" ? { on: "Large text", off: "Normal text" } : { on: "大字模式", off: "标准字号" };
  return (
    <nav class="bar" aria-label={lang === "en" ? "Display options" : "显示选项"}>
      <a href={q(other, large)} lang={other}>
        {lang === "en" ? "中文" : "English"}
      </a>
      <a id="hy-large" href={q(lang, !large)} data-on={labels.on} data-off={labels.off}>
        {large ? labels.off : labels.on}
      </a>
    </nav>
  );
}

export function renderPage(o: PageOptions, body: Child): Response {
  // The script of the page's language: each carries only its own messages.
  const [script, scriptHash] =
    o.lang === "en" ? [WIDGET_JS_EN, WIDGET_JS_EN_HASH] : [WIDGET_JS, WIDGET_JS_HASH];
  const csp = pageCsp({
    scriptHashes: o.script ? [scriptHash] : [],
    styleHashes: [WIDGET_CSS_HASH],
    frameAncestors: frameAncestorSources(o.frameAncestors ?? []),
    frames: o.turnstile ? [TURNSTILE_ORIGIN] : [],
    connect: o.turnstile ? [TURNSTILE_ORIGIN] : [],
  });
  const page = (
    <html lang={o.lang} class={o.large ? "large" : undefined}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="strict-origin-when-cross-origin" />
        <title>{o.title}</title>
        <style>{raw(WIDGET_CSS)}</style>
      </head>
      <body>
        <main>{body}</main>
        {o.script ? <script>{raw(script)}</script> : null}
        {o.turnstile ? <script src={`${TURNSTILE_ORIGIN}/turnstile/v0/api.js`} async defer /> : null}
      </body>
    </html>
  );
  return new Response(`<!doctype html>${page}`, {
    status: o.status ?? 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": csp,
      "Cache-Control": "no-store",
      Vary: "Accept-Language",
    },
  });
}

/**
 * Errors on citizens' pages are pages in the citizen's language (never raw JSON inside an iframe
 * on a department's site). Not framable: we do not know whose department it would be.
 */
export function citizenErrorPage(err: AppError, lang: Lang, requestId: string): Response {
  const en = lang === "en";
  const title =
    err.status === 404 ? (en ? "Not found" : "找不到该页面") : en ? "Something went wrong" : "出错了";
  return renderPage(
    { lang, title, status: err.status },
    <>
      <h1>{title}</h1>
      <p role="alert">{en ? err.messageEn : err.messageZh}</p>
      <p class="meta">{`${en ? "Request" : "请求编号"} ${requestId}`}</p>
    </>,
  );
}
