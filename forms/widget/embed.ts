/**
 * embed.js: the one script tag a department site adds.
 *   <script src="https://huiyin.example/embed.js" data-huiyin-form="demo/opinion" async></script>
 * It inserts an iframe from Huiyin's origin where the tag stands (or into each
 * `<div data-huiyin-form="…">`), sizes it from height messages whose origin it checks, and with
 * `data-huiyin-mode="button"` shows a button that opens the form in a dialog instead.
 * The host page never sees the form's contents: they stay inside the iframe's origin.
 */
((d: Document) => {
  const me = d.currentScript as HTMLScriptElement | null;
  const origin = new URL(me ? me.src : location.href).origin;
  const frames: HTMLIFrameElement[] = [];

  const frame = (spec: string, lang: string | undefined) => {
    const f = d.createElement("iframe");
    f.src = `${origin}/w/${spec}?embed=1${lang ? `&lang=${encodeURIComponent(lang)}` : ""}`;
    f.title = lang === "en" ? "Feedback form" : "意见表单";
    f.style.cssText = "display:block;width:100%;height:420px;border:0;color-scheme:light";
    frames.push(f);
    return f;
  };

  const mount = (host: HTMLElement, where: (el: HTMLElement) => void) => {
    const spec = host.dataset.huiyinForm;
    if (!spec || host.dataset.huiyinMounted || !/^[a-z0-9-]+\/[a-z0-9-]+$/.test(spec)) return;
    host.dataset.huiyinMounted = "1";
    const lang = host.dataset.huiyinLang;
    if (host.dataset.huiyinMode !== "button") return where(frame(spec, lang));
    // The button and its dialog live in a shadow root: the host's stylesheet cannot restyle them
    // (its selectors do not cross the boundary) and inherited fonts and colours are set here.
    const wrap = d.createElement("span");
    const root = wrap.attachShadow({ mode: "open" });
    const en = lang === "en";
    const b = d.createElement("button");
    b.type = "button";
    b.textContent = host.dataset.huiyinLabel || (en ? "Write to us" : "我要留言");
    b.style.cssText =
      "min-height:44px;min-width:44px;padding:0 16px;border:0;border-radius:6px;background:#0b57a4;color:#fff;font:600 16px/1.4 'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;cursor:pointer";
    const dlg = d.createElement("dialog");
    dlg.setAttribute("aria-label", en ? "Feedback form" : "意见表单");
    dlg.style.cssText =
      "width:min(640px,100vw);max-height:100vh;padding:0;border:0;color:#1a1a1a;background:#fff";
    const close = d.createElement("button");
    close.type = "button";
    close.textContent = en ? "Close" : "关闭";
    close.style.cssText =
      "min-height:44px;min-width:44px;margin:4px;padding:0 12px;border:1px solid #767676;border-radius:6px;background:#fff;color:#0b57a4;font:16px/1.4 'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;cursor:pointer";
    close.onclick = () => dlg.close();
    b.onclick = () => {
      if (!dlg.lastChild || dlg.lastChild === close) dlg.append(frame(spec, lang));
      dlg.showModal();
    };
    dlg.append(close);
    root.append(b, dlg);
    where(wrap);
  };

  if (me) mount(me, (el) => me.after(el));
  for (const div of d.querySelectorAll<HTMLElement>("div[data-huiyin-form]"))
    mount(div, (el) => div.append(el));

  // The fastest embed is a plain `<iframe src="…/w/<dept>/<form>" data-huiyin-form>` in the host's HTML:
  // the browser asks for the form while it parses the page instead of after this script has arrived
  // (one round trip less; see BENCHMARKS.md). This script then only sizes it.
  const adopt = () => {
    for (const f of d.querySelectorAll<HTMLIFrameElement>("iframe[data-huiyin-form]")) {
      if (frames.includes(f) || !f.src.startsWith(`${origin}/w/`)) continue;
      frames.push(f);
      f.contentWindow?.postMessage({ huiyin: "size?" }, origin);
    }
  };
  adopt();
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", adopt);

  addEventListener("message", (e) => {
    if (e.origin !== origin || !e.data || e.data.huiyin !== "height") return;
    const h = Number(e.data.height);
    for (const f of frames) {
      if (f.contentWindow === e.source && h > 0 && h < 20000) f.style.height = `${Math.ceil(h)}px`;
    }
  });
})(document);
