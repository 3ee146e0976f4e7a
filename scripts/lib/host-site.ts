/**
 * A plain "department site" that embeds the widget from another origin with the one script tag, as a
 * department's CMS would: `npm start` serves it next to the Worker, and the browser tests (scripts/e2e)
 * use it as the hostile host. `/` embeds the form inline; `/button` opens it from a button in a dialog;
 * `/iframe` has the form as a plain `<iframe data-huiyin-form>` in its HTML, which embed.js only sizes.
 */
import { createServer, type Server } from "node:http";

export interface HostSiteOptions {
  /**
   * Adds a script that tries to read the iframe's document and records what it got, and every message
   * the page receives, in `window.__huiyinProbe` (the tests check the host sees nothing but heights).
   */
  probe?: boolean;
}

const PROBE = `<script>
window.__huiyinProbe = { reads: [], messages: [] };
addEventListener("message", function (e) {
  window.__huiyinProbe.messages.push({ origin: e.origin, data: e.data });
});
new MutationObserver(function (_, observer) {
  var f = document.querySelector("iframe");
  if (!f) return;
  observer.disconnect(); // watching from the moment embed.js inserts it, before it can load
  f.addEventListener("load", function () {
    var p = window.__huiyinProbe;
    p.reads.push("contentDocument:" + (f.contentDocument === null ? "null" : "readable"));
    try { p.reads.push("document:" + f.contentWindow.document.body.innerHTML.length); }
    catch (err) { p.reads.push("document:" + err.name); }
    try { p.reads.push("storage:" + f.contentWindow.localStorage.length); }
    catch (err) { p.reads.push("storage:" + err.name); }
  });
}).observe(document.documentElement, { childList: true, subtree: true });
</script>`;

type Embed = "script" | "button" | "iframe";

function embedMarkup(widgetOrigin: string, embed: Embed): string {
  if (embed === "iframe") {
    return `<iframe src="${widgetOrigin}/w/demo/opinion" data-huiyin-form="demo/opinion" title="意见箱" style="display:block;width:100%;height:420px;border:0"></iframe>
<script src="${widgetOrigin}/embed.js" async></script>`;
  }
  const mode = embed === "button" ? ' data-huiyin-mode="button"' : "";
  return `<script src="${widgetOrigin}/embed.js" data-huiyin-form="demo/opinion"${mode} async></script>`;
}

export function hostPage(widgetOrigin: string, opts: HostSiteOptions & { embed?: Embed } = {}): string {
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>示范市卫生健康委员会 · 政务公开</title>
<style>body{font-family:serif;margin:0;background:#f4efe6}header{background:#8b1a1a;color:#fff;padding:12px 16px}main{max-width:720px;margin:0 auto;padding:16px}
/* A host stylesheet that tries to restyle everything: the widget must not change. */
input,textarea,button,label{font-size:40px!important;color:red!important}</style>${opts.probe ? `\n${PROBE}` : ""}</head>
<body><header><h1>示范市卫生健康委员会</h1></header>
<main><h2>意见箱</h2><p>欢迎通过下面的意见箱向我们反映问题、提出建议。</p>
${embedMarkup(widgetOrigin, opts.embed ?? "script")}
</main></body></html>`;
}

/** Serves the department site on 127.0.0.1:port; resolves once it listens. */
export function serveHostSite(
  port: number,
  widgetOrigin: string,
  opts: HostSiteOptions = {},
): Promise<Server> {
  const pages = new Map([
    ["/", hostPage(widgetOrigin, opts)],
    ["/button", hostPage(widgetOrigin, { ...opts, embed: "button" })],
    ["/iframe", hostPage(widgetOrigin, { ...opts, embed: "iframe" })],
  ]);
  const server = createServer((req, res) => {
    const page = pages.get(new URL(req.url ?? "/", "http://host").pathname);
    if (!page) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(page);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
